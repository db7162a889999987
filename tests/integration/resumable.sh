#!/bin/bash
# tests/integration/resumable.sh: resumable uploads, tus 1.0.0 under /v1/uploads (issue 20),
# against the real daemon on loopback.
#
# With curl: OPTIONS advertises the version, extensions, max size and checksums; creation
# refuses bad claims exactly as PUT does, before anything is stored; 30 MiB in two PATCHes
# with a restart of intaked between them gives a receipt whose sha256 is the whole file's
# (Go verifies it); nothing is logged before the last PATCH; a stale offset is 409, a wrong
# checksum 460 (nothing of that PATCH kept), another Party's HEAD 404; DELETE then HEAD 404;
# a kill -9 in the middle of a PATCH loses at most that PATCH; a large PATCH its client cuts
# short keeps what was written; a HEAD on another connection while a PATCH's spool still writes
# it (its writer held with ptrace, as root) ends that PATCH first; expiry, the per-Party count and
# byte quota, the metadata size and hostile headers. Then tus-js-client (Node) as a second,
# independent client, and `intake upload` of a large file across a restart of intaked.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BIG_MB=${RESUMABLE_BIG_MB:-256}         # intake upload's file (MiB)
QUOTA_MB=$((BIG_MB + 44 > 300 ? BIG_MB + 44 : 300))   # resumable_bytes_party: room for it
U=
# tus CERT METHOD PATH [CURL ARGS...]: prints the status; headers in $T/h, body in $T/b
tus() {
	local c=$1 m=$2 p=$3
	shift 3
	if [ "$m" = HEAD ]; then
		icurl "$c" -I -o /dev/null -D $T/h -w '%{http_code}' "$@" "https://localhost:$PORT$p"
		: >$T/b
	else
		icurl "$c" -X "$m" -D $T/h -o $T/b -w '%{http_code}' "$@" "https://localhost:$PORT$p"
	fi
}
TR=(-H 'Tus-Resumable: 1.0.0')
OCT=(-H 'Content-Type: application/offset+octet-stream')
hdr() { tr -d '\r' <$T/h | awk -v k="$(echo "$1" | tr A-Z a-z)" -F': ' 'tolower($1) == k {print $2}' | tail -n 1; }
b64() { printf '%s' "$1" | base64 -w0; }
# meta KEY VALUE...: an Upload-Metadata value
meta() {
	local out= sep=
	while [ $# -ge 2 ]; do out="$out$sep$1 $(b64 "$2")"; sep=,; shift 2; done
	printf '%s' "$out"
}
# create CERT LENGTH METADATA: POST; S is the status, UP the upload's path
create() {
	S=$(tus "$1" POST /v1/uploads "${TR[@]}" -H "Upload-Length: $2" -H "Upload-Metadata: $3")
	UP=$(hdr Location)
}
# patch CERT PATH OFFSET FILE [CURL ARGS...]: PATCH FILE at OFFSET
patch() {
	local c=$1 p=$2 o=$3 f=$4
	shift 4
	tus "$c" PATCH "$p" "${TR[@]}" "${OCT[@]}" -H "Upload-Offset: $o" -T "$f" "$@"
}
uploads_count() { find "$RUN/data/uploads" -type f | wc -l; }

it_start_limits resumable resumable_per_party=4 resumable_bytes_party=${QUOTA_MB}M

note "OPTIONS"
s=$(tus alpha OPTIONS /v1/uploads)
check_eq "OPTIONS /v1/uploads answers 204" "$s" 204
check_eq "Tus-Version" "$(hdr Tus-Version)" 1.0.0
check_eq "Tus-Extension" "$(hdr Tus-Extension)" creation,checksum,termination,expiration
check_eq "Tus-Max-Size is max_upload" "$(hdr Tus-Max-Size)" 4294967296
check_eq "Tus-Checksum-Algorithm" "$(hdr Tus-Checksum-Algorithm)" sha256,sha1
check_eq "no Tus-Resumable on OPTIONS (tus 1.0.0)" "$(hdr Tus-Resumable)" ""

note "creation: claims refused as PUT refuses them, before anything is stored"
echo hello >$T/hello.txt
s=$(tus alpha HEAD /v1/uploads/00112233445566778899aabbccddeeff)
check_eq "no Tus-Resumable: 412" "$s" 412
check_eq "412 names the version" "$(hdr Tus-Version)" 1.0.0
# a POST without it is what a cross-origin form could send: refused before tus.c (DESIGN §5)
s=$(tus alpha POST /v1/uploads -H 'Upload-Length: 5' -H "Upload-Metadata: $(meta kind evidence filename a.txt)")
check "a POST without Tus-Resumable is refused ($s)" bash -c "[ $s = 415 ] || [ $s = 412 ]"
s=$(tus alpha POST /v1/uploads -H 'Tus-Resumable: 0.2.2' -H 'Upload-Length: 5' -H "Upload-Metadata: $(meta kind evidence filename a.txt)")
check_eq "another Tus-Resumable: 412" "$s" 412
# each: metadata, the PUT path with the same claims
while IFS='|' read -r what md putpath; do
	[ -n "$what" ] || continue
	create alpha 6 "$md"; st=$S
	pst=$(iput alpha "${putpath%%/*}" "${putpath#*/}" $T/hello.txt $T/put.json)
	check "creation refuses $what as PUT does ($st, PUT $pst)" bash -c "[ $st = $pst ] && [ $st -ge 400 ] && [ $st -lt 500 ]"
	[ "$what" = "an unknown kind" ] && check_eq "Tus-Resumable on a refusal of the PUT path's checks" \
		"$(tr -d '\r' <$T/h | awk -F': ' 'tolower($1) == "tus-resumable" {print $2}')" 1.0.0
done <<-EOF2
	an unknown kind|$(meta kind nosuch filename a.txt)|nosuch/a.txt
	a filename with a slash|$(meta kind evidence filename x/y.txt)|evidence/x%2Fy.txt
	a filename starting with a dot|$(meta kind evidence filename .hidden)|evidence/.hidden
	a filename with a control character|$(meta kind evidence filename "$(printf 'a\tb.txt')")|evidence/a%09b.txt
	a filename with a bidi override|$(meta kind evidence filename "$(printf 'a\u202eb.txt')")|evidence/a%E2%80%AEb.txt
	an empty ref|$(meta kind evidence filename a.txt ref '')|evidence/a.txt?ref=
	a ref with a newline|$(meta kind evidence filename a.txt ref "$(printf 'E\nV')")|evidence/a.txt?ref=E%0AV
	for= from a Party that is not a provider|$(meta kind shared-resource-return filename a.csv for BETA)|shared-resource-return/a.csv?for=BETA
	plan= on a kind that is not a director-letter|$(meta kind evidence filename a.txt plan 0)|evidence/a.txt?plan=0
EOF2
create alpha 6 "kind ZXZpZGVuY2U=,filename !!!notbase64"; s=$S
check_eq "metadata value that is not base64: 400" "$s" 400
create alpha 6 "filename YS50eHQ="; s=$S
check_eq "metadata without kind: 400" "$s" 400
create alpha 6 "$(meta kind evidence filename a.txt),$(meta kind evidence)"; s=$S
check_eq "a metadata key given twice: 400" "$s" 400
long=$(head -c 900 /dev/zero | tr '\0' a)
create alpha 6 "$(meta kind evidence filename a.txt x "$long")"; s=$S
check_eq "Upload-Metadata over 1024 bytes: 400" "$s" 400
s=$(tus alpha POST /v1/uploads "${TR[@]}" -H 'Upload-Length: 6' -H "Upload-Metadata: $(meta kind evidence)" -H "Upload-Metadata: $(meta filename a.txt)")
check_eq "Upload-Metadata given twice: 400" "$s" 400
create alpha 6 "$(meta kind evidence filename a.txt a 1 b 2 c 3 d 4 e 5 f 6 g 7 h 8 i 9 j 10 k 11 l 12 m 13 n 14 o 15)"; s=$S
check_eq "more than 16 metadata keys: 400" "$s" 400
create alpha 4294967297 "$(meta kind evidence filename a.txt)"; s=$S
check_eq "Upload-Length over max_upload: 413" "$s" 413
create alpha 12abc "$(meta kind evidence filename a.txt)"; s=$S
check_eq "Upload-Length not a number: 400" "$s" 400
s=$(tus alpha POST /v1/uploads "${TR[@]}" -H 'Upload-Defer-Length: 1' -H "Upload-Metadata: $(meta kind evidence filename a.txt)")
check_eq "Upload-Defer-Length (not advertised): 400" "$s" 400
s=$(tus alpha POST /v1/uploads "${TR[@]}" -H 'Upload-Length: 6' -H "Upload-Metadata: $(meta kind evidence filename a.txt)" --data-binary @$T/hello.txt)
check_eq "creation with a body (not advertised): 400" "$s" 400
check_eq "nothing stored by refused creations" "$(uploads_count)" 0

note "30 MiB in two PATCHes, a restart of intaked between them"
randtext $((30 * 1024 * 1024)) >$T/big.txt
half=$((15 * 1024 * 1024))
head -c $half $T/big.txt >$T/big.1
tail -c +$((half + 1)) $T/big.txt >$T/big.2
size=$(stat -c %s $T/big.txt)
log0=$(log_size)
create alpha $size "$(meta kind evidence filename big.txt ref EV-030)"; s=$S
check_eq "POST creates: 201" "$s" 201
check "Location is /v1/uploads/<id>" bash -c "[[ '$UP' =~ ^/v1/uploads/[0-9a-f]{32}$ ]]"
check "Upload-Expires on the creation" test -n "$(hdr Upload-Expires)"
check_eq "Tus-Resumable on the creation" "$(hdr Tus-Resumable)" 1.0.0
s=$(patch alpha $UP 0 $T/big.1)
check_eq "first PATCH: 204" "$s" 204
check_eq "its Upload-Offset" "$(hdr Upload-Offset)" $half
check "Upload-Expires on the PATCH's answer" test -n "$(hdr Upload-Expires)"
check_eq "nothing logged before completion" "$(log_size)" "$log0"
it_restart
s=$(tus alpha HEAD $UP "${TR[@]}")
check_eq "HEAD after the restart: 200" "$s" 200
check_eq "HEAD: Upload-Offset survives the restart" "$(hdr Upload-Offset)" $half
check_eq "HEAD: Upload-Length" "$(hdr Upload-Length)" $size
check_eq "HEAD: Cache-Control" "$(hdr Cache-Control)" no-store
check "HEAD: Upload-Expires" test -n "$(hdr Upload-Expires)"
s=$(tus beta HEAD $UP "${TR[@]}")
check_eq "another Party's HEAD: 404" "$s" 404
check_eq "Tus-Resumable on the 404" "$(hdr Tus-Resumable)" 1.0.0
s=$(patch beta $UP $half $T/big.2)
check_eq "another Party's PATCH: 404" "$s" 404
s=$(patch alpha $UP 0 $T/big.2)
check_eq "a stale Upload-Offset: 409" "$s" 409
wrong=$(printf 'not this' | openssl dgst -sha256 -binary | base64)
s=$(patch alpha $UP $half $T/big.2 -H "Upload-Checksum: sha256 $wrong")
check_eq "a wrong Upload-Checksum: 460" "$s" 460
s=$(tus alpha HEAD $UP "${TR[@]}")
check_eq "nothing of the 460 PATCH kept" "$(hdr Upload-Offset)" $half
s=$(patch alpha $UP $half $T/big.2 -H "Upload-Checksum: md5 $(openssl dgst -md5 -binary $T/big.2 | base64)")
check_eq "an unsupported checksum algorithm: 400" "$s" 400
s=$(patch alpha $UP $half $T/big.2 -H 'Content-Type: application/octet-stream')
check_eq "PATCH without application/offset+octet-stream: 415" "$s" 415
s=$(patch alpha $UP x1 $T/big.2)
check_eq "Upload-Offset not a number: 400" "$s" 400
check_eq "still nothing logged" "$(log_size)" "$log0"
s=$(patch alpha $UP $half $T/big.2 -H "Upload-Checksum: sha1 $(openssl dgst -sha1 -binary $T/big.2 | base64)")
check_eq "the last PATCH answers like a PUT: 201" "$s" 201
cp $T/b $T/r-big.json
check "Go verifies the receipt against the whole file" goverify receipt $VKEY $T/r-big.json $T/big.txt
check_eq "the receipt's sha256 is the whole file's" "$(jget $T/r-big.json sha256)" "$(sha256sum <$T/big.txt | cut -d' ' -f1)"
check_eq "size" "$(jget $T/r-big.json size)" $size
check_eq "ref from the metadata" "$(jget $T/r-big.json ref)" EV-030
check_eq "filename from the metadata" "$(jget $T/r-big.json filename)" big.txt
check_eq "one entry logged" "$(log_size)" $((log0 + 1))
s=$(tus alpha HEAD $UP "${TR[@]}")
check_eq "a completed upload is gone: HEAD 404" "$s" 404
check_eq "no partial upload left" "$(uploads_count)" 0
check "quarantine empty" quarantine_empty

note "a rejected upload answers 422 like a PUT"
head -c 4096 /dev/urandom >$T/rand.bin
create alpha 4096 "$(meta kind evidence filename r.pdf)"
s=$(patch alpha $UP 0 $T/rand.bin)
check_eq "last PATCH of a file that is not its kind: 422" "$s" 422
check "Go verifies the rejection's receipt" goverify receipt $VKEY $T/b $T/rand.bin

note "termination"
create alpha 8192 "$(meta kind evidence filename d.txt)"; s=$S
head -c 4096 $T/big.txt >$T/d.1
patch alpha $UP 0 $T/d.1 >/dev/null
s=$(tus alpha DELETE $UP "${TR[@]}")
check_eq "DELETE: 204" "$s" 204
s=$(tus alpha HEAD $UP "${TR[@]}")
check "HEAD after DELETE: 404 or 410" bash -c "[ $s = 404 ] || [ $s = 410 ]"
check_eq "DELETE removed its files" "$(uploads_count)" 0
s=$(tus alpha HEAD /v1/uploads/../../etc "${TR[@]}" --path-as-is)
check_eq "a malformed id: 404" "$s" 404

note "a body past Upload-Length"
create alpha 100 "$(meta kind evidence filename e.txt)"
s=$(patch alpha $UP 0 $T/d.1)
check_eq "a declared body past Upload-Length: 413" "$s" 413
s=$(patch alpha $UP 0 $T/d.1 -H 'Transfer-Encoding: chunked')
check_eq "a chunked body past Upload-Length: 413" "$s" 413
tus alpha DELETE $UP "${TR[@]}" >/dev/null

note "kill -9 in the middle of a PATCH"
head -c $((4 * 1024 * 1024)) $T/big.txt >$T/k.txt
create alpha $((4 * 1024 * 1024)) "$(meta kind evidence filename k.txt)"
head -c 1048576 $T/k.txt >$T/k.1
tail -c +1048577 $T/k.txt >$T/k.2
patch alpha $UP 0 $T/k.1 >/dev/null
icurl alpha -X PATCH "${TR[@]}" "${OCT[@]}" -H 'Upload-Offset: 1048576' -T $T/k.2 --limit-rate 400K \
	-o /dev/null "https://localhost:$PORT$UP" &
cpid=$!
sleep 2
it_restart kill
wait $cpid 2>/dev/null
s=$(tus alpha HEAD $UP "${TR[@]}")
check_eq "after kill -9: the offset of the last PATCH answered" "$(hdr Upload-Offset)" 1048576
check_eq "the partial file cut back to it" "$(stat -c %s "$RUN/data/uploads/${UP##*/}.part")" 1048576
s=$(patch alpha $UP 1048576 $T/k.2)
check_eq "resumed after the crash: 201" "$s" 201
check "Go verifies it against the whole file" goverify receipt $VKEY $T/b $T/k.txt

note "a large PATCH its client cuts short keeps what was written, in order"
# past the file's first MiB a PATCH goes through the spool (its threads write
# it); the client gives up mid-body and the daemon stays up
head -c $((12 * 1024 * 1024)) $T/big.txt >$T/c.txt
create alpha $((12 * 1024 * 1024)) "$(meta kind evidence filename c.txt)"
head -c 1048576 $T/c.txt >$T/c.1
tail -c +1048577 $T/c.txt >$T/c.2
patch alpha $UP 0 $T/c.1 >/dev/null
icurl alpha -X PATCH "${TR[@]}" "${OCT[@]}" -H 'Upload-Offset: 1048576' -T $T/c.2 --limit-rate 3M \
	--max-time 2 -o /dev/null "https://localhost:$PORT$UP"
s=$(tus alpha HEAD $UP "${TR[@]}")
off=$(hdr Upload-Offset)
check "the PATCH cut short kept part of its bytes (offset $off)" \
	bash -c "[ '$off' -gt 1048576 ] && [ '$off' -lt $((12 * 1024 * 1024)) ]"
check_eq "the partial file is that long" "$(stat -c %s "$RUN/data/uploads/${UP##*/}.part")" "$off"
check "the daemon logged the PATCH cut short" grep -q "a PATCH cut short after" "$RUN/daemon.log"
tail -c +$((off + 1)) $T/c.txt >$T/c.3
s=$(patch alpha $UP "$off" $T/c.3)
check_eq "resumed from there: 201" "$s" 201
check "Go verifies it against the whole file" goverify receipt $VKEY $T/b $T/c.txt

note "a take-over while a PATCH's spool still writes it ends that PATCH first"
# hold_writer PID FLAG: stops the spool's writer thread of PID (intaked-write), with ptrace and
# that thread only, at the end of its first write; writes FLAG.held, and lets it go on when
# FLAG.go appears (at most 30 s later)
hold_writer() {
	$PY - "$1" "$2" <<'EOP'
import ctypes, os, sys, time
pid, flag = int(sys.argv[1]), sys.argv[2]
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
SEIZE, INTERRUPT, DETACH, WALL = 0x4206, 0x4207, 17, 0x40000000
def writer():
    for t in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, t)) as f:
                if f.read().strip() == "intaked-write":
                    return int(t)
        except OSError:
            pass
    return None
tid, end = None, time.time() + 15
while tid is None and time.time() < end:
    tid = writer()
    if tid is None:
        time.sleep(0.002)
if tid is None:
    sys.exit("no spool writer thread appeared")
PWRITE64 = {"x86_64": "18", "aarch64": "68"}[os.uname().machine]
def in_pwrite():
    try:
        with open("/proc/%d/task/%d/syscall" % (pid, tid)) as f:
            return f.read().split()[0] == PWRITE64
    except (OSError, IndexError):
        return False
# stopped in its first write, which it makes holding no lock and waiting on no condition
# variable: it stops as the write returns. A writer stopped while it waits on one would
# block the loop's next broadcast (glibc waits for the woken waiters), or stopped holding
# the spool's mutex, the loop's next lock.
while not in_pwrite() and time.time() < end:
    time.sleep(0.0005)
if libc.ptrace(SEIZE, tid, None, None) or libc.ptrace(INTERRUPT, tid, None, None):
    sys.exit("ptrace: " + os.strerror(ctypes.get_errno()))
os.waitpid(tid, WALL)
open(flag + ".held", "w").close()
end = time.time() + 30
while not os.path.exists(flag + ".go") and time.time() < end:
    time.sleep(0.01)
libc.ptrace(DETACH, tid, None, None)
EOP
}
if [ "$(id -u)" = 0 ]; then
	head -c $((20 * 1048576)) $T/big.txt >$T/w.txt
	create alpha $((20 * 1048576)) "$(meta kind evidence filename w.txt)"
	head -c 1048576 $T/w.txt >$T/w.1
	head -c $((9 * 1048576)) $T/w.txt | tail -c +1048577 >$T/w.2   # its bytes 1-9 MiB
	tail -c +$((9 * 1048576 + 1)) $T/w.txt >$T/w.3
	patch alpha $UP 0 $T/w.1 >/dev/null
	rm -f $T/hold.held $T/hold.go
	hold_writer "$(it_front)" $T/hold 2>$T/hold.err &
	hpid=$!
	b0=$(metric intake_upload_bytes_total)
	icurl alpha -X PATCH "${TR[@]}" "${OCT[@]}" -H 'Upload-Offset: 1048576' -T $T/w.2 \
		--limit-rate 4M -o /dev/null -w '%{http_code}' "https://localhost:$PORT$UP" >$T/s2 &
	ppid=$!
	# 8 MiB fit in the spool's buffers: the body is all in, the PATCH waits for its writer
	for ((i = 0; i < 300; i++)); do
		[ -e $T/hold.held ] &&
			[ $(($(metric intake_upload_bytes_total) - b0)) -ge $((8 * 1048576)) ] && break
		sleep 0.1
	done
	got=$(($(metric intake_upload_bytes_total) - b0))
	check "the PATCH's body is all in ($got bytes), its spool's writer held" \
		bash -c "[ -e $T/hold.held ] && [ $got -ge $((8 * 1048576)) ]"
	tus alpha HEAD $UP "${TR[@]}" >$T/s3 &   # on another connection: a take-over
	xpid=$!
	# let the writer go once the HEAD is answered, or once the front's loop has waited on a
	# futex (the writer's join: tus_patch_settle) for 0.1 s on end (at most 10 s)
	front=$(it_front) waits=0
	for ((i = 0; i < 500 && waits < 5; i++)); do
		kill -0 $xpid 2>/dev/null || break
		case $(cat /proc/$front/task/$front/wchan 2>/dev/null) in
		*futex*) waits=$((waits + 1)) ;;
		*) waits=0 ;;
		esac
		sleep 0.02
	done
	touch $T/hold.go
	wait $xpid
	wait $ppid
	wait $hpid
	check_eq "the PATCH was answered on its own connection" "$(cat $T/s2)" 204
	check_eq "the HEAD on another connection: 200" "$(cat $T/s3)" 200
	check_eq "with the offset after that PATCH" "$(hdr Upload-Offset)" $((9 * 1048576))
	s=$(patch alpha $UP $((9 * 1048576)) $T/w.3)
	check_eq "the rest: 201" "$s" 201
	check "Go verifies it against the whole file" goverify receipt $VKEY $T/b $T/w.txt
else
	note "skipped: holding one thread of the daemon (ptrace) needs root"
fi

note "tus-js-client (Node) as an independent client, interrupted and resumed"
# tusjs_install: tus-js-client as tests/tus-js/package-lock.json pins it, once per build tree
tusjs_install() {
	local d=$BUILDDIR/tus-js src=$SRCDIR/tests/tus-js
	if [ ! -d $d/node_modules/tus-js-client ] || ! cmp -s $src/package-lock.json $d/package-lock.json; then
		rm -rf $d
		mkdir -p $d
		cp $src/package.json $src/package-lock.json $d/
		(cd $d && timeout 180 npm ci --no-audit --no-fund --ignore-scripts) >$T/npm.log 2>&1 ||
			{ tail -n 5 $T/npm.log; return 1; }
	fi
	cp $src/upload.js $d/
}
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	echo "#"
	echo "# SKIPPED: tus-js-client: no node or npm here (scripts/deps installs nodejs and npm)"
	echo "#"
else
	check "npm ci installs tus-js-client as package-lock.json pins it" tusjs_install
	head -c $((5 * 1024 * 1024 + 1234)) $T/big.txt >$T/js.txt
	log0=$(log_size)
	timeout 150 node $BUILDDIR/tus-js/upload.js "https://127.0.0.1:$PORT/v1/uploads" "$PKI" alpha \
		evidence $T/js.txt 1048576 >$T/r-js.json 2>$T/js.err
	rc=$?
	check_eq "tus-js-client uploads, is interrupted and resumes: exit 0 ($(tail -n 1 $T/js.err))" $rc 0
	check "it was interrupted mid-way" grep -q "interrupted after 2 chunks" $T/js.err
	check "Go verifies its receipt against the file" goverify receipt $VKEY $T/r-js.json $T/js.txt
	check_eq "its receipt says accepted" "$(jget $T/r-js.json verdict)" accepted
	check_eq "one entry logged for it" "$(log_size)" $((log0 + 1))
fi

note "intake upload of $BIG_MB MiB across a restart of intaked started while it runs"
: >$T/huge.txt
for ((i = 0; i < (BIG_MB + 29) / 30; i++)); do cat $T/big.txt >>$T/huge.txt; done
truncate -s $((BIG_MB * 1024 * 1024)) $T/huge.txt
"$INTAKE" upload --url "https://localhost:$PORT" --kind evidence --ref EV-BIG --chunk 16M \
	--limit-rate 48M --retry-for 60 --cacert $PKI/ca.crt --cert $PKI/alpha.crt --key $PKI/alpha.key \
	$T/huge.txt >$T/r-huge.json 2>$T/huge.err &
upid=$!
sleep 2
check "intake upload is still running when the restart begins" kill -0 $upid
it_restart
for ((i = 0; i < 1200; i++)); do kill -0 $upid 2>/dev/null || break; sleep 0.1; done
kill -0 $upid 2>/dev/null && kill $upid
wait $upid
rc=$?
check_eq "intake upload finishes across the restart: exit 0 ($(tail -n 1 $T/huge.err))" $rc 0
check "the restarted daemon resumed the partial upload" grep -q "resumable uploads: 1 resumed" "$RUN/daemon.log"
check "Go verifies its receipt against the whole file" goverify receipt $VKEY $T/r-huge.json $T/huge.txt
check "intake verify accepts it too (exit status as verify's)" "$INTAKE" verify --vkey $VKEY $T/r-huge.json $T/huge.txt
check_eq "its ref" "$(jget $T/r-huge.json ref)" EV-BIG
rm -f $T/huge.txt
note "intake upload whose last answer is lost finds its receipt in the log"
# relay: a TCP relay to the daemon that cuts a connection which has carried more than
# DROP_AFTER client bytes as soon as the server answers on it (the answer of the last PATCH)
RPORT=$(freeport)
$PY - "$RPORT" "$PORT" 2097152 <<-'PY' &
	import socket, sys, threading
	lport, dport, drop = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
	ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	ls.bind(("127.0.0.1", lport)); ls.listen(16); ls.settimeout(90)
	def pair(c):
	    s = socket.create_connection(("127.0.0.1", dport))
	    sent = [0]
	    def up():
	        try:
	            while (b := c.recv(65536)):
	                sent[0] += len(b); s.sendall(b)
	        except OSError: pass
	        try: s.shutdown(socket.SHUT_WR)
	        except OSError: pass
	    def down():
	        try:
	            while (b := s.recv(65536)):
	                if sent[0] > drop:
	                    break
	                c.sendall(b)
	        except OSError: pass
	        for x in (c, s):
	            try: x.shutdown(socket.SHUT_RDWR)
	            except OSError: pass
	            x.close()
	    threading.Thread(target=up, daemon=True).start()
	    threading.Thread(target=down, daemon=True).start()
	while True:
	    try: c, _ = ls.accept()
	    except OSError: break
	    pair(c)
	PY
relay=$!
for ((i = 0; i < 50; i++)); do $PY -c "import socket; socket.create_connection(('127.0.0.1', $RPORT)).close()" 2>/dev/null && break; sleep 0.1; done
head -c $((3 * 1024 * 1024)) $T/big.txt >$T/lost.txt
printf 'lost answer' | dd of=$T/lost.txt bs=1 conv=notrunc status=none
"$INTAKE" upload --url "https://localhost:$RPORT" --kind evidence --chunk 8M --retry-for 20 \
	--cacert $PKI/ca.crt --cert $PKI/alpha.crt --key $PKI/alpha.key $T/lost.txt >$T/r-lost.json 2>$T/lost.err
rc=$?
kill $relay 2>/dev/null
wait $relay 2>/dev/null
check_eq "intake upload exits 0 though the last answer was cut ($(tail -n 1 $T/lost.err))" $rc 0
check "it says the answer was lost and the receipt fetched" grep -q "last answer was lost" $T/lost.err
check "the fetched receipt verifies against the file (Go)" goverify receipt $VKEY $T/r-lost.json $T/lost.txt

"$INTAKE" upload --url "https://localhost:$PORT" --kind nosuch --cacert $PKI/ca.crt \
	--cert $PKI/alpha.crt --key $PKI/alpha.key $T/hello.txt >$T/r-no.json 2>$T/no.err
check_eq "intake upload of an unknown kind: exit 1" $? 1
check "with the server's reason on one line" bash -c "[ \$(wc -l <$T/no.err) = 1 ] && grep -q 'unknown submission kind' $T/no.err"
"$INTAKE" upload --url "https://localhost:$PORT" --kind evidence --cacert $PKI/ca.crt \
	--cert $PKI/alpha.crt --key $PKI/alpha.key $T/rand.bin >$T/r-rej.json 2>/dev/null
check_eq "intake upload of a rejected file: exit 1" $? 1
check "and the rejection's receipt on stdout" goverify receipt $VKEY $T/r-rej.json $T/rand.bin
"$INTAKE" upload --kind evidence $T/hello.txt >/dev/null 2>&1
check_eq "intake upload without --url: exit 2" $? 2

note "quotas"
for i in 1 2 3 4; do create alpha 10 "$(meta kind evidence filename q$i.txt)"; done
create alpha 10 "$(meta kind evidence filename q5.txt)"; s=$S
check_eq "a fifth partial upload (resumable_per_party = 4): 429" "$s" 429
create beta 10 "$(meta kind evidence filename q1.txt)"; s=$S
check_eq "another Party is not counted with it: 201" "$s" 201
create beta $((QUOTA_MB * 1024 * 1024)) "$(meta kind evidence filename q2.txt)"; s=$S
check_eq "past resumable_bytes_party: 507" "$s" 507
it_stop

note "expiry"
it_start_limits resumable-expiry resumable_expiry=2
create alpha 10 "$(meta kind evidence filename x.txt)"
check_eq "an upload exists" "$(uploads_count)" 2
sleep 4
check_eq "the daemon removed it once expired" "$(uploads_count)" 0
s=$(tus alpha HEAD $UP "${TR[@]}")
check "HEAD of an expired upload: 404 or 410" bash -c "[ $s = 404 ] || [ $s = 410 ]"
it_stop

summary
