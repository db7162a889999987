#!/bin/bash
# tests/integration/scan.sh: malware scanning with a real clamd (issue 19; DESIGN §4 [scan],
# §5 503, §6 `scan:`).
#
# A clamd of Debian's clamav-daemon runs on a Unix socket in the scratch directory with a
# signature database made here (no download): a body signature (.ndb) on a marker string and
# a hash signature (.hdb, sigtool --md5) of one file. intaked, configured with [scan], must:
# accept a clean PDF with a `scan:` line in its signed entry; reject a text, a zip member, a
# hashed file and the LAST member of a 60 MB tar.gz (followed as it arrives) with
# `malware <signature>`; reject what clamd could not scan whole (AlertExceedsMax: MaxFiles,
# then MaxFileSize) with `scan-incomplete`; answer 503 + Retry-After, log nothing and keep no
# quarantine file while clamd is down, hangs or answers garbage; use clamd again once it is
# back, without a restart of intaked. Every receipt is verified by Go's x/mod. The same scan
# offline: `intake inspect --clamd`.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MIB=1048576
if ! command -v clamd >/dev/null || ! command -v sigtool >/dev/null; then
	echo "SKIP scan.sh: clamd or sigtool missing: install clamav-daemon and clamav (scripts/deps)"
	exit 77
fi

# ---------------------------------------------------------------- clamd and its database
CL=$T/clamav
mkdir -p "$CL"
[ "$(id -u)" = 0 ] && chmod 755 "$CL"
SOCK=$CL/clamd.sock
MARKER=INTAKE-SCAN-TEST-MARKER-5b1e9c   # the body signature's bytes
SIG=Intake.Test.Marker.UNOFFICIAL      # clamd adds .UNOFFICIAL to a database not its own
printf 'Intake.Test.Marker:0:*:%s\n' "$(printf %s "$MARKER" | od -An -tx1 | tr -d ' \n')" >"$CL/test.ndb"
printf 'A file known by its hash only, %s.\n' "$(date +%s%N)" >"$T/hashed.txt"
(cd "$T" && sigtool --md5 hashed.txt) >"$CL/test.hdb" || bail "sigtool --md5 failed"
grep -q ':hashed.txt$' "$CL/test.hdb" || bail "sigtool made no hash signature: $(cat "$CL/test.hdb")"

# clamd_conf MAXFILESIZE: a clamd.conf; AlertExceedsMax makes every limit a finding
clamd_conf() {
	cat >"$CL/clamd.conf" <<-EOF
	LocalSocket $SOCK
	DatabaseDirectory $CL
	Foreground yes
	LogFile $CL/clamd.log
	LogTime yes
	AlertExceedsMax yes
	MaxFileSize $1
	MaxScanSize 1000M
	StreamMaxLength 100M
	MaxFiles 100
	SelfCheck 3600
	EOF
	[ "$(id -u)" = 0 ] && echo "User root" >>"$CL/clamd.conf"
	return 0
}
CLAMD_PID=
# clamd_start: starts clamd on $CL/clamd.conf, waits (bounded) until it answers PING
clamd_start() {
	local i
	rm -f "$SOCK"
	setsid clamd -c "$CL/clamd.conf" >>"$CL/clamd.out" 2>&1 &
	CLAMD_PID=$!
	for ((i = 0; i < 300; i++)); do
		kill -0 $CLAMD_PID 2>/dev/null || bail "clamd exited: $(tail -n 3 "$CL/clamd.out")"
		[ -S "$SOCK" ] && [ "$(clamd_cmd zPING)" = PONG ] && return 0
		sleep 0.1
	done
	bail "clamd did not answer within 30 s: $(tail -n 3 "$CL/clamd.out")"
}
clamd_stop() {
	local i
	[ -n "$CLAMD_PID" ] || return 0
	kill -TERM $CLAMD_PID 2>/dev/null
	for ((i = 0; i < 100; i++)); do kill -0 $CLAMD_PID 2>/dev/null || break; sleep 0.1; done
	kill -KILL $CLAMD_PID 2>/dev/null
	wait $CLAMD_PID 2>/dev/null
	CLAMD_PID=
	rm -f "$SOCK"
}
# clamd_cmd CMD: one z-command to $SOCK, the answer without its NUL
clamd_cmd() {
	$PY - "$SOCK" "$1" <<-'PY' 2>/dev/null
	import socket, sys
	s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
	s.sendall(sys.argv[2].encode() + b"\0"); out = b""
	while True:
	    d = s.recv(4096)
	    if not d: break
	    out += d
	print(out.rstrip(b"\0").decode(errors="replace"))
	PY
}
FAKE_PID=
# fake_clamd MODE: something else on clamd's socket: "hang" accepts and never answers,
# "garbage" answers VERSION, then bytes that are no clamd answer
fake_clamd() {
	local i
	rm -f "$SOCK" "$SOCK.ready"
	$PY - "$SOCK" "$1" <<-'PY' &
	import socket, sys
	import os
	s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(16)
	os.chmod(sys.argv[1], 0o666)            # as clamd's LocalSocketMode: the front is not root
	open(sys.argv[1] + ".ready", "w").close()
	held, n = [], 0
	while True:
	    c, _ = s.accept()
	    if sys.argv[2] == "hang":
	        held.append(c)
	        continue
	    try:
	        c.settimeout(0.3)
	        try:                                      # all it is sent, descriptors included
	            while c.recvmsg(1 << 16, socket.CMSG_SPACE(64))[0]:
	                pass
	        except socket.timeout:
	            pass
	        c.sendall(b"ClamAV 1.4.6\0" if n % 3 == 0 else b"\x1b[31m FOUND\nOK")
	    except OSError:
	        pass
	    n += 1
	    c.close()
	PY
	FAKE_PID=$!
	for ((i = 0; i < 50; i++)); do [ -e "$SOCK.ready" ] && return 0; sleep 0.1; done
	bail "the fake clamd did not listen"
}
fake_stop() {
	[ -n "$FAKE_PID" ] || return 0
	kill -KILL $FAKE_PID 2>/dev/null
	wait $FAKE_PID 2>/dev/null
	FAKE_PID=
	rm -f "$SOCK" "$SOCK.ready"
}
scan_cleanup() {
	local rc=$?
	fake_stop
	clamd_stop
	(exit $rc)
	it_cleanup
}
trap scan_cleanup EXIT

clamd_conf 100M
clamd_start
note "clamd $(clamd_cmd zVERSION) on $SOCK"

# ---------------------------------------------------------------- files
mkpdf "$T/clean.pdf"
printf 'Access review notes.\nAn attachment carried %s in its body.\n' "$MARKER" >"$T/marked.txt"
$PY - "$T" "$MARKER" <<'PY' || bail "cannot make the test archives"
import base64, io, os, sys, tarfile, zipfile
d, marker = sys.argv[1], sys.argv[2].encode()
with zipfile.ZipFile(os.path.join(d, "marked.zip"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("minutes/2026-10.txt", b"Minutes of the October review.\n")
    z.writestr("minutes/attachment.txt", b"forwarded text " + marker + b" end\n")
with zipfile.ZipFile(os.path.join(d, "many.zip"), "w", zipfile.ZIP_DEFLATED) as z:
    for i in range(150):                  # past the test clamd's MaxFiles 100
        z.writestr("logs/day-%03d.txt" % i, b"Access log of day %d.\n" % i)
# 60 MB of tar.gz: 8 members of base64 noise (hardly compressible), the marker in the last
with tarfile.open(os.path.join(d, "big.tar.gz"), "w:gz", compresslevel=1) as t:
    def add(name, data):
        i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
    for n in range(8):
        add("logs/part-%d.txt" % n, b"random text, part %d\n" % n +
            base64.encodebytes(os.urandom(7 * (1 << 20) + 512 * 1024)))
    add("logs/zz-last.txt", b"the last member, which carries " + marker + b"\n")
PY
randtext $((2 * MIB * 4 / 3)) >"$T/twomib.txt"
BIG=$(stat -c %s "$T/big.tar.gz")
check "the tar.gz is over 60 MB ($BIG bytes)" [ "$BIG" -ge $((60 * 1000 * 1000)) ]

# ---------------------------------------------------------------- intaked with [scan]
scan_config() {
	cat >>"$RUN/intaked.conf" <<-EOF
	[scan]
	clamd   = $SOCK
	timeout = 10
	EOF
}
IT_AFTER_CONFIG=scan_config it_start scan
DPID0=$DPID

# put NAME KIND FILE STATUS: uploads FILE as NAME, expects STATUS (answer in $T/NAME.json)
put() {
	local got
	got=$(iput alpha "$2" "$1" "$3" "$T/$1.json" -D "$T/$1.hdr")
	check_eq "$1 ($2) is answered $4" "$got" "$4"
}
# entry_grep RESPONSE REGEX: the receipt verifies with Go and a line of its entry matches
entry_grep() { goverify entry "$VKEY" "$1" | grep -qE "$2"; }
scan_line() { entry_grep "$1" '^scan: ClamAV [0-9]'; }

put clean.pdf evidence "$T/clean.pdf" 201
check "clean.pdf: the receipt verifies (Go x/mod)" goverify receipt "$VKEY" "$T/clean.pdf.json" "$T/clean.pdf"
check "clean.pdf: its signed entry has the scan line of clamd's VERSION" scan_line "$T/clean.pdf.json"
check "clean.pdf: the scan line is clamd's own VERSION answer" \
	entry_has "$T/clean.pdf.json" "scan: $(clamd_cmd zVERSION)"
check "clean.pdf: intake verify (our C library) accepts the receipt with its scan line" \
	"$INTAKE" verify --vkey "$(cat "$VKEY")" "$T/clean.pdf.json" "$T/clean.pdf"

put marked.txt evidence "$T/marked.txt" 422
check "marked.txt: finding malware $SIG" entry_has "$T/marked.txt.json" "finding: malware $SIG"
check "marked.txt: the rejection's receipt verifies" goverify receipt "$VKEY" "$T/marked.txt.json" "$T/marked.txt"
check "marked.txt: the rejection has its scan line too" scan_line "$T/marked.txt.json"

put hashed.txt evidence "$T/hashed.txt" 422
check "hashed.txt: finding malware hashed.txt.UNOFFICIAL (sigtool --md5)" \
	entry_has "$T/hashed.txt.json" "finding: malware hashed.txt.UNOFFICIAL"

put marked.zip evidence-bundle "$T/marked.zip" 422
check "marked.zip: clamd finds the marker in a member" entry_has "$T/marked.zip.json" "finding: malware $SIG"
check "marked.zip: receipt verifies" goverify receipt "$VKEY" "$T/marked.zip.json" "$T/marked.zip"

followed0=$(metric 'intake_inspections_followed_total{result="used"}')
put big.tar.gz evidence-bundle "$T/big.tar.gz" 422
check "big.tar.gz: the last member's marker is found" entry_has "$T/big.tar.gz.json" "finding: malware $SIG"
check "big.tar.gz: receipt verifies" goverify receipt "$VKEY" "$T/big.tar.gz.json" "$T/big.tar.gz"
check "big.tar.gz: it was inspected as it arrived, and scanned all the same" \
	[ "$(metric 'intake_inspections_followed_total{result="used"}')" -gt "${followed0:-0}" ]

put many.zip evidence-bundle "$T/many.zip" 422
check "many.zip: past clamd's MaxFiles is scan-incomplete, not a pass" \
	entry_grep "$T/many.zip.json" '^finding: scan-incomplete .*Heuristics\.Limits\.Exceeded\.MaxFiles'

# ---------------------------------------------------------------- /metrics
$PY - "http://127.0.0.1:$APORT/metrics" >"$T/metrics.out" 2>&1 <<'PY'
import sys, urllib.request
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())}
scans = {s.labels["result"]: s.value for s in fams["intake_scans"].samples if s.name == "intake_scans_total"}
assert fams["intake_scans"].type == "counter", fams["intake_scans"].type
assert scans["clean"] >= 1 and scans["found"] >= 4 and scans["incomplete"] >= 1, scans
h = fams["intake_scan_duration_seconds"]
assert h.type == "histogram", h.type
count = [s.value for s in h.samples if s.name.endswith("_count")][0]
assert count == sum(scans.values()), (count, scans)
print(scans)
PY
rc=$?
check "/metrics: scans by result and the scan time histogram (prometheus_client): $(tail -n 1 "$T/metrics.out")" \
	[ $rc = 0 ]

# ---------------------------------------------------------------- intake inspect --clamd
POL=$SRCDIR/policy/intake.policy
"$INTAKE" inspect --policy "$POL" --kind evidence --clamd "$SOCK" "$T/clean.pdf" >"$T/ins-clean.out" 2>&1
check_eq "intake inspect --clamd: a clean PDF exits 0" "$?" 0
check "intake inspect --clamd: prints the scan line" grep -qx "scan: $(clamd_cmd zVERSION)" "$T/ins-clean.out"
"$INTAKE" inspect --policy "$POL" --kind evidence-bundle --clamd "$SOCK" "$T/marked.zip" >"$T/ins-zip.out" 2>&1
check_eq "intake inspect --clamd: the marked zip exits 1" "$?" 1
check "intake inspect --clamd: finding malware" grep -qx "finding: malware $SIG" "$T/ins-zip.out"

# ---------------------------------------------------------------- clamd down, hung, confused
size0=$(log_size)
clamd_stop
put down.pdf evidence "$T/clean.pdf" 503
check "clamd down: 503 carries Retry-After" grep -qiE '^Retry-After: [1-9][0-9]*' "$T/down.pdf.hdr"
check_eq "clamd down: nothing was logged" "$(log_size)" "$size0"
check "clamd down: no quarantine file is left" quarantine_empty
check "clamd down: the daemon is up" it_alive
"$INTAKE" inspect --policy "$POL" --kind evidence --clamd "$SOCK" "$T/clean.pdf" >/dev/null 2>&1
check_eq "intake inspect --clamd with clamd down exits 3 (no verdict)" "$?" 3

fake_clamd hang
t0=$SECONDS
put hang.pdf evidence "$T/clean.pdf" 503
check "a clamd that never answers: 503 after [scan] timeout (10 s), not before ($((SECONDS - t0)) s)" \
	[ $((SECONDS - t0)) -ge 9 ] && [ $((SECONDS - t0)) -le 30 ]
fake_stop
fake_clamd garbage
put garbage.pdf evidence "$T/clean.pdf" 503
fake_stop
check "a garbage answer is no verdict (the daemon says why)" grep -q 'FILDES: an answer that does not end in NUL (14 bytes); INSTREAM: an answer that does not end in NUL' "$RUN/daemon.log"
check_eq "hung and garbage clamd: nothing was logged" "$(log_size)" "$size0"
check "hung and garbage clamd: no quarantine file is left" quarantine_empty
check "metrics count the scans without a verdict" [ "$(metric 'intake_scans_total{result="error"}')" -ge 3 ]

# ---------------------------------------------------------------- clamd back, smaller limits
clamd_conf 1M
clamd_start
put back.pdf evidence "$T/clean.pdf" 201
check "clamd back: accepted without restarting intaked" goverify receipt "$VKEY" "$T/back.pdf.json" "$T/clean.pdf"
check "clamd back: with its scan line" scan_line "$T/back.pdf.json"
put twomib.txt evidence "$T/twomib.txt" 422
check "a file over clamd's MaxFileSize (1M here) is scan-incomplete" \
	entry_has "$T/twomib.txt.json" "finding: scan-incomplete clamd could not scan the whole file (Heuristics.Limits.Exceeded.MaxFileSize)"
check_eq "the same daemon throughout (pid)" "$(it_alive && echo $DPID)" "$DPID0"

it_stop
summary
