#!/bin/bash
# tests/integration/follow.sh: tars inspected while they arrive (issue 7; front/follow.h).
#
# A tar, tar.gz or tar.xz upload of a declared size is inspected by a follower as its body
# arrives; the verdict must be the one the file's own inspection gives. Each archive below
# (benign and hostile, all past the 1 MiB where a spool and its follower start, made by
# Python's tarfile, GNU tar and zip) is sent twice: with Content-Length (followed) and
# chunked (no follower: the file is inspected once complete). Both answers must agree on
# verdict, type and every finding, and /metrics must say which one the follower decided
# and which it left to the file (a PDF that carries a tar's magic).
# Then the attacks on the follower itself: a client gone mid-body, three tars at once (two
# followers at most), and a client slower than inspect_seconds.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MIB=1048576
it_start follow

used() { metric 'intake_inspections_followed_total{result="used"}'; }
filed() { metric 'intake_inspections_followed_total{result="file"}'; }
# verdict FILE: verdict, type and findings of an answer, one canonical line
verdict() {
	$PY -c 'import json,sys; j=json.load(open(sys.argv[1]))
print(j.get("verdict"), j.get("type"), json.dumps(j.get("findings"), sort_keys=True))' "$1"
}

# ---------------------------------------------------------------- the archives
$PY - "$T" <<'PY'
import io, os, sys, tarfile, zipfile
d = sys.argv[1]
MIB = 1 << 20
TEXT = b"Access review of the DCC interface, signed off 2026-10-01.\n"
def text(n, tag):                       # n bytes of lines of text, different for each TAG
    line = (tag + ": ").encode() + TEXT
    return (line * (n // len(line) + 1))[:n]
def noise(n, seed):                     # incompressible bytes
    out, x = bytearray(), seed
    while len(out) < n:
        x = (x * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        out += x.to_bytes(8, "little")
    return bytes(out[:n])
def tar(name, members, mode="w", fmt=tarfile.GNU_FORMAT):
    with tarfile.open(os.path.join(d, name), mode, format=fmt) as t:
        for m in members:
            n, data = m[0], m[1]
            i = tarfile.TarInfo(n)
            i.size = len(data)
            i.mode = m[2] if len(m) > 2 else 0o644
            i.type = m[3] if len(m) > 3 else tarfile.REGTYPE
            if i.type == tarfile.SYMTYPE:
                i.size, i.linkname, data = 0, "/etc/passwd", b""
            t.addfile(i, io.BytesIO(data))
PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n" \
      b"2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj\n" \
      b"3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]>> endobj\n" \
      b"trailer <</Size 4 /Root 1 0 R>>\n%%EOF\n"
big = text(3 * MIB, "bulk")
def zipped(members):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        for n, data in members:
            z.writestr(n, data)
    return b.getvalue()
tar("ok.tar", [("logs/access.txt", big), ("evidence/scan.pdf", PDF), ("notes.txt", TEXT)])
tar("ok-pax.tar", [("logs/access.txt", big), ("evidence/scan.pdf", PDF)], fmt=tarfile.PAX_FORMAT)
tar("ok.tar.gz", [("logs/noise.txt", noise(3 * MIB, 7).hex().encode()[:3 * MIB]),
                  ("evidence/scan.pdf", PDF)], "w:gz")
tar("ok.tar.xz", [("logs/noise.txt", noise(3 * MIB, 9).hex().encode()[:3 * MIB])], "w:xz")
tar("slip.tar", [("logs/access.txt", big), ("../../etc/cron.d/x", TEXT)])
tar("setuid.tar.gz", [("logs/noise.txt", noise(3 * MIB, 11).hex().encode()[:3 * MIB]),
                      ("bin/tool.txt", TEXT, 0o4755)], "w:gz")
tar("symlink.tar", [("logs/access.txt", big), ("passwd", b"", 0o777, tarfile.SYMTYPE)])
tar("exe-in-zip.tar", [("logs/access.txt", big),
                       ("evidence/bundle.zip", zipped([("setup.pdf", b"MZ\x90\x00" + bytes(508))]))])
tar("nul.tar", [("logs/access.txt", big[:MIB + 5] + b"\0" + big[MIB + 6:])])
tar("bomb.tar.gz", [("logs/noise.bin.txt", noise(3 * MIB, 13).hex().encode()[:3 * MIB]),
                    ("zeros.txt", b" " * (300 * MIB))], "w:gz")
tar("dup.tar", [("logs/access.txt", big), ("LOGS/ACCESS.TXT", TEXT)])
tar("html.tar", [("logs/access.txt", big), ("index.html", b"<html><script>x</script></html>\n")])
# a tar cut in the middle of its second member: the file says so, and so must the follower
full = open(os.path.join(d, "ok.tar"), "rb").read()
open(os.path.join(d, "cut.tar"), "wb").write(full[:len(big) + 512 + 700])
# a PDF with "ustar" where a tar header has it: followed on that hint, left to the file
pdf = bytearray(b"%PDF-1.4\n%" + b"x" * 300 + b"\n")
pdf[257:262] = b"ustar"
pdf += b"% " + text(2 * MIB, "padding").replace(b"\n", b"\n% ") + b"\n" + PDF[9:]
open(os.path.join(d, "ustar.pdf"), "wb").write(bytes(pdf))
# a tar with a zip appended: unzip would open it, so it is a rejection (trailing-data),
# decided by the follower too, as the rest of the body arrives
open(os.path.join(d, "tail-zip.tar"), "wb").write(full + zipped([("a.txt", TEXT)]))
PY
# too many members (the default policy stops at 10000), from GNU tar
mkdir -p $T/many
(cd $T/many && head -c $((2 * MIB)) /dev/zero | tr '\0' 'a' >big.txt &&
	for i in $(seq 1 10001); do echo "member $i" >m$i.txt; done)
tar -cf $T/many.tar -C $T/many . 2>/dev/null
# a zip is never followed: only its end says what it holds
(cd $T && zip -q -0 ok.zip -j $T/many/big.txt)

# ---------------------------------------------------------------- followed and not: one verdict
U0=$(used) F0=$(filed)
nu=0 nf=0
for c in "ok.tar 201 used" "ok-pax.tar 201 used" "ok.tar.gz 201 used" "ok.tar.xz 201 used" \
	"slip.tar 422 used" "setuid.tar.gz 422 used" "symlink.tar 422 used" \
	"exe-in-zip.tar 422 used" "nul.tar 422 used" "bomb.tar.gz 422 used" "dup.tar 422 used" \
	"html.tar 422 used" "cut.tar 422 used" "tail-zip.tar 422 used" "many.tar 422 used" \
	"ustar.pdf 422 file" "ok.zip 201 none"; do
	set -- $c
	f=$T/$1
	[ -s "$f" ] || { check "$1 was made" false; continue; }
	check "$1 is past the 1 MiB where a follower starts" [ "$(stat -c %s "$f")" -gt $((MIB + 65536)) ]
	a=$(iput alpha evidence-bundle "$1" "$f" $T/$1.cl.json)
	b=$(icurl alpha -o $T/$1.ch.json -w '%{http_code}' -H 'Transfer-Encoding: chunked' -T - \
		"https://localhost:$PORT/v1/submissions/evidence-bundle/$1" <"$f")
	check_eq "$1 with Content-Length -> $2" "$a" "$2"
	check_eq "$1 chunked -> $2" "$b" "$2"
	check_eq "$1: the follower's verdict is the file's" "$(verdict $T/$1.cl.json)" "$(verdict $T/$1.ch.json)"
	case $3 in used) nu=$((nu + 1)) ;; file) nf=$((nf + 1)) ;; esac
	check_eq "$1: the follower decided ($3)" "$(($(used) - U0)) $(($(filed) - F0))" "$nu $nf"
done
has_code() { $PY -c 'import json,sys; sys.exit(0 if any(f.get("code") == sys.argv[2] for f in json.load(open(sys.argv[1])).get("findings") or []) else 1)' "$1" "$2"; }
for c in "slip.tar path-traversal" "setuid.tar.gz setuid" "symlink.tar symlink" \
	"exe-in-zip.tar executable" "nul.tar text-binary" "bomb.tar.gz compression-ratio" \
	"dup.tar name-collision" "html.tar member-type-not-allowed" "cut.tar archive-unreadable" \
	"many.tar too-many-members" "ustar.pdf type-not-allowed" "tail-zip.tar trailing-data"; do
	set -- $c
	check "followed $1: finding $2" has_code $T/$1.cl.json $2
done
check "Go verifies a followed tar's receipt and re-hashes it" goverify receipt $VKEY $T/ok.tar.cl.json $T/ok.tar
check_eq "no follower left running" "$(metric intake_followers)" 0

# ---------------------------------------------------------------- attacks on the follower
S0=$(log_size)
head -c $((40 * MIB)) /dev/zero | tr '\0' 'b' >$T/many/huge.txt
tar -cf $T/long.tar -C $T/many big.txt huge.txt
# a client gone mid-body: the follower stops, nothing is recorded, the daemon goes on
inspectors() { pgrep -g $DPID -x intaked-inspect | wc -l; }
I0=$(inspectors)
iput_bg alpha evidence-bundle long.tar $T/long.tar 4M
sleep 2
check_eq "mid-body: one follower" "$(metric intake_followers)" 1
# the follower only copies the body into a pipe: an inspector process of its own parses it
check_eq "mid-body: the follower's inspector is a process of its own" "$(inspectors)" $((I0 + 1))
kill -KILL $BG_PID 2>/dev/null
wait $BG_PID 2>/dev/null
for ((i = 0; i < 100; i++)); do [ "$(metric intake_followers)" = 0 ] && break; sleep 0.1; done
check_eq "cut off: the follower is gone" "$(metric intake_followers)" 0
for ((i = 0; i < 50; i++)); do [ "$(inspectors)" = "$I0" ] && break; sleep 0.1; done
check_eq "cut off: its inspector is gone too" "$(inspectors)" "$I0"
check "cut off: quarantine empty" quarantine_empty
check_eq "cut off: nothing logged" "$(log_size)" "$S0"
# three tars at once: two followers (follow.c FOLLOW_MAX), the third is inspected from its file
U1=$(used)
pids=
for i in 1 2 3; do
	iput alpha evidence-bundle three$i.tar $T/long.tar $T/three$i.json --limit-rate 8M >$T/three$i.code &
	pids="$pids $!"
done
sleep 2
check_eq "three tars at once: two followers" "$(metric intake_followers)" 2
wait $pids
check_eq "all three -> 201" "$(cat $T/three1.code $T/three2.code $T/three3.code | tr -d '\n')" 201201201
check_eq "two verdicts came from followers" "$(($(used) - U1))" 2
nu=$((nu + 2))
# a slow client: the follower decides when the upload takes less than inspect_seconds ...
code=$(iput alpha evidence-bundle slow.tar $T/long.tar $T/slow.json --limit-rate 8M)
check_eq "a 42 MiB tar at 8 MB/s -> 201" "$code" 201
check_eq "slow: the follower decided" "$(($(used) - U0)) $(($(filed) - F0))" "$((nu + 1)) $nf"
check "daemon alive" it_alive
it_stop
# ... and when it takes longer, the follower's clock ran out while the bytes were arriving:
# the file decides, on a clock of its own, and the upload is not timed out for being slow
sed -E 's/^([[:space:]]*inspect_seconds[[:space:]]*=).*/\1 2/' "$SRCDIR/policy/intake.policy" >$T/quick.policy
it_start quick $T/quick.policy
code=$(iput alpha evidence-bundle slower.tar $T/long.tar $T/slower.json --limit-rate 8M)
check_eq "inspect_seconds 2, a 42 MiB tar at 8 MB/s -> 201" "$code" 201
check_eq "the follower left it to the file" "$(used) $(filed)" "0 1"
check "daemon alive" it_alive
it_stop
summary
