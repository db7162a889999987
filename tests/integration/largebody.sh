#!/bin/bash
# tests/integration/largebody.sh: large bodies and every way they end (issues 2, 6 and 7).
#
# Bodies of many TLS records, read a watermark at a time, hashed and written as they arrive
# (past 1 MiB through a spool, front/spool.h: staging buffers hashed, written and synced by
# threads of their own, with O_DIRECT unless the body is an archive the inspector must read
# again): Content-Length and chunked bodies (the chunk framing is not body), a small request
# kept alive after a large one (TLS read-ahead), a SHA-512 Content-Digest claim checked on
# them, ten large uploads at once, a text whose first NUL byte lies far past the prefix
# libmagic sees, a chunked body growing past max_upload (the recorded prefix is exactly what
# its receipt says), a client cut off mid-body, and SIGTERM during a large upload (finished
# and answered, then the daemon exits 0).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MIB=1048576
CONCURRENT=10                           # large uploads at once
it_start large

text() { yes "$2" | head -c "$3" >"$1"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
finding() { $PY -c 'import json,sys; sys.exit(0 if any(f.get("code") == sys.argv[2] for f in json.load(open(sys.argv[1])).get("findings") or []) else 1)' "$1" "$2"; }
b64d() { openssl dgst -binary "-$1" "$2" | base64 -w0; }

# ---------------------------------------------------------------- Content-Length, chunked
text $T/cl.txt 'content-length body' $((24 * MIB + 17))
code=$(iput alpha evidence cl.txt $T/cl.txt $T/cl.json)
check_eq "24 MiB + 17 bytes with Content-Length -> 201" "$code" 201
check_eq "its sha256 is the file's" "$(jget $T/cl.json sha256)" "$(sha $T/cl.txt)"
check "Go verifies its receipt and re-hashes the file" goverify receipt $VKEY $T/cl.json $T/cl.txt

text $T/ch.txt 'chunked body' $((9 * MIB + 3))
code=$(icurl alpha -o $T/ch.json -w '%{http_code}' -H 'Transfer-Encoding: chunked' -T - \
	"https://localhost:$PORT/v1/submissions/evidence/ch.txt" <$T/ch.txt)
check_eq "9 MiB chunked -> 201" "$code" 201
check_eq "chunked: size" "$(jget $T/ch.json size)" $((9 * MIB + 3))
check "chunked: Go verifies receipt and file" goverify receipt $VKEY $T/ch.json $T/ch.txt

# ---------------------------------------------------------------- spools, direct or not
# Mid-body, a spool runs (metrics) and the quarantine descriptor carries O_DIRECT (fdinfo) for
# a text, and for a tar, which a follower inspects as it arrives (front/follow.h): nothing
# reads either again. A zip's inspection reads every byte again: spooled too, but buffered,
# and not followed.
spools() { metric intake_spools; }
qfd() {             # /proc/PID/fd/N of the front's (first) quarantine descriptor
	local fd
	for fd in /proc/$(it_front)/fd/*; do
		case $(readlink "$fd") in */quarantine/q-*) echo "$fd"; return ;; esac
	done
}
qflags() {          # the open flags (octal) of that descriptor
	local fd=$(qfd)
	[ -n "$fd" ] && awk '/^flags:/ {print $2}' "${fd%/fd/*}/fdinfo/${fd##*/}"
}
direct() { local f; f=$(qflags); [ -n "$f" ] || { echo "no descriptor"; return; }; (((8#$f & 8#40000) != 0)) && echo yes || echo no; }
qmode() {           # the mode of the file behind it: the store's 0444 from the start
	local fd=$(qfd)
	[ -n "$fd" ] && stat -L -c %a "$fd"
}
mkdir -p $T/tarsrc
text $T/tarsrc/a.txt 'member a' $((12 * MIB))
text $T/tarsrc/b.txt 'member b' $((12 * MIB))
tar -cf $T/b.tar -C $T/tarsrc a.txt b.txt
(cd $T/tarsrc && zip -q -0 $T/b.zip a.txt b.txt)
text $T/slow.txt 'slow text' $((24 * MIB))
for up in "evidence-bundle b.tar yes 1" "evidence-bundle b.zip no 0" "evidence slow.txt yes 0"; do
	set -- $up
	iput alpha $1 $2 $T/$2 $T/$2.json --limit-rate 8M >$T/$2.code &
	pid=$!
	sleep 1.5
	check_eq "$2 ($1) mid-body: one spool" "$(spools)" 1
	check_eq "$2 ($1) mid-body: O_DIRECT" "$(direct)" $3
	check_eq "$2 ($1) mid-body: quarantine file mode (no chmod later)" "$(qmode)" 444
	check_eq "$2 ($1) mid-body: followers" "$(metric intake_followers)" $4
	wait $pid
	check_eq "$2 -> 201" "$(cat $T/$2.code)" 201
	check "$2: Go verifies receipt and file" goverify receipt $VKEY $T/$2.json $T/$2
done

# ---------------------------------------------------------------- keep-alive after a large body
# A large body turns TLS read-ahead on for its connection (front/tls.c): records of the next
# request that OpenSSL took in early must still be read, though epoll will not say so.
text $T/ka1.txt 'kept alive, first' $((5 * MIB + 11))
text $T/ka2.txt 'kept alive, second' 700
out=$(icurl alpha -w '%{http_code} %{num_connects}\n' \
	-T $T/ka1.txt -o $T/ka1.json "https://localhost:$PORT/v1/submissions/evidence/ka1.txt" \
	-T $T/ka2.txt -o $T/ka2.json "https://localhost:$PORT/v1/submissions/evidence/ka2.txt" | tr '\n' ' ')
check_eq "a large then a small PUT on one connection: both 201, one connect" "$out" "201 1 201 0 "
check_eq "the second one's sha256 is its file's" "$(jget $T/ka2.json sha256)" "$(sha $T/ka2.txt)"
# pipelined: the small request follows the large body in the same write, so read-ahead takes
# it in with the body's last records while the upload is still being recorded
pipelined() {
	$PY - "$PORT" "$PKI" $T/ka1.txt $T/ka2.txt <<-'PY'
	import socket, ssl, sys
	port, pki, big, small = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
	ctx = ssl.create_default_context(cafile=pki + "/ca.crt")
	ctx.load_cert_chain(pki + "/alpha.crt", pki + "/alpha.key")
	s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30),
	                    server_hostname="localhost")
	def put(name, body):
	    return (b"PUT /v1/submissions/evidence/%s HTTP/1.1\r\nHost: localhost\r\n"
	            b"Content-Length: %d\r\n\r\n" % (name, len(body))) + body
	s.sendall(put(b"pipe1.txt", open(big, "rb").read() + b"pipelined") +
	          put(b"pipe2.txt", open(small, "rb").read()))
	f = s.makefile("rb")
	codes = []
	for _ in range(2):
	    status = f.readline().split()[1].decode()
	    length = 0
	    while True:
	        h = f.readline()
	        if h in (b"\r\n", b""):
	            break
	        if h.lower().startswith(b"content-length:"):
	            length = int(h.split(b":")[1])
	    f.read(length)
	    codes.append(status)
	print(" ".join(codes))
	PY
}
check_eq "two pipelined PUTs, a large then a small: both answered 201" "$(pipelined)" "201 201"

# ---------------------------------------------------------------- digests on large bodies
text $T/d.txt 'digest claim' $((6 * MIB))
code=$(iput alpha evidence d512.txt $T/d.txt $T/d1.json -H "Content-Digest: sha-512=:$(b64d sha512 $T/d.txt):")
check_eq "6 MiB with a true sha-512 Content-Digest -> 201" "$code" 201
text $T/other.txt 'something else' 64
code=$(iput alpha evidence d512bad.txt $T/d.txt $T/d2.json -H "Content-Digest: sha-512=:$(b64d sha512 $T/other.txt):")
check_eq "6 MiB with a false sha-512 Content-Digest -> 422" "$code" 422
check "the false claim is the finding" finding $T/d2.json digest-mismatch
# without a claim the notary's read of the file is the only SHA-256 (notary/prehash.h); with
# one, the front's too, and both must agree with the claim
code=$(iput alpha evidence d256.txt $T/d.txt $T/d3.json -H "Repr-Digest: sha-256=:$(b64d sha256 $T/d.txt):")
check_eq "6 MiB with a true sha-256 Repr-Digest -> 201" "$code" 201
check_eq "... its receipt's sha256 is the file's" "$(jget $T/d3.json sha256)" "$(sha256sum <$T/d.txt | cut -d' ' -f1)"
code=$(iput alpha evidence d256bad.txt $T/d.txt $T/d4.json -H "Repr-Digest: sha-256=:$(b64d sha256 $T/other.txt):")
check_eq "6 MiB with a false sha-256 Repr-Digest -> 422" "$code" 422
check "the false sha-256 claim is the finding" finding $T/d4.json digest-mismatch
check_eq "without a claim, the receipt's sha256 is the file's" "$(jget $T/d1.json sha256)" "$(sha256sum <$T/d.txt | cut -d' ' -f1)"

# ---------------------------------------------------------------- a text that turns binary
# The front looks for NUL bytes past the prefix libmagic types (1 MiB) while the body arrives,
# whatever the piece boundaries: the finding names the offset of the first one.
nul_at() {          # nul_at FILE OFFSET SIZE: text of SIZE bytes with one NUL at OFFSET
	text "$1" 'a text with a NUL somewhere' "$3"
	printf '\0' | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
finding_detail() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["findings"][0]["detail"])' "$1"; }
for case in "$((3 * MIB + 7)) $((5 * MIB))" "$MIB $((2 * MIB))" "$((5 * MIB - 1)) $((5 * MIB))"; do
	set -- $case
	nul_at $T/nul.txt $1 $2
	code=$(iput alpha evidence nul.txt $T/nul.txt $T/nul.json)
	check_eq "$2-byte text, NUL at $1 -> 422" "$code" 422
	check "NUL at $1: text-binary finding" finding $T/nul.json text-binary
	check_eq "NUL at $1: the offset is named" "$(finding_detail $T/nul.json)" "binary data at offset $1 of a text"
	code=$(icurl alpha -o $T/nulc.json -w '%{http_code}' -H 'Transfer-Encoding: chunked' -T - \
		"https://localhost:$PORT/v1/submissions/evidence/nulc.txt" <$T/nul.txt)
	check_eq "the same chunked -> 422 at offset $1" "$code $(finding_detail $T/nulc.json)" \
		"422 binary data at offset $1 of a text"
done

# ---------------------------------------------------------------- many at once
pids=
for ((i = 1; i <= CONCURRENT; i++)); do
	text $T/c$i.txt "concurrent upload $i" $((3 * MIB + i))
	iput alpha evidence c$i.txt $T/c$i.txt $T/c$i.json --limit-rate 4M >$T/c$i.code &
	pids="$pids $!"
done
wait $pids
ok=0
for ((i = 1; i <= CONCURRENT; i++)); do
	[ "$(cat $T/c$i.code)" = 201 ] && [ "$(jget $T/c$i.json sha256)" = "$(sha $T/c$i.txt)" ] &&
		goverify receipt $VKEY $T/c$i.json $T/c$i.txt >/dev/null && ok=$((ok + 1))
done
check_eq "$CONCURRENT concurrent 3 MiB uploads: all 201 with verified receipts" $ok $CONCURRENT
check_eq "the log holds every upload so far" "$(log_size)" $((13 + 6 + CONCURRENT))
check_eq "the tar's verdict came from its follower" \
	"$(metric 'intake_inspections_followed_total{result="used"}')" 1
check_eq "no follower result was dropped" \
	"$(metric 'intake_inspections_followed_total{result="file"}')" 0

# ---------------------------------------------------------------- a client cut off mid-body
S0=$(log_size)
text $T/cut.txt 'cut off' $((64 * MIB))
iput_bg alpha evidence cut.txt $T/cut.txt 8M
sleep 2
check_eq "mid-body, the upload writes through a spool (metrics)" "$(spools)" 1
kill -KILL $BG_PID 2>/dev/null
wait $BG_PID 2>/dev/null
# the daemon sees the close a moment later (slower under the sanitizers): poll its log
logged() { local i; for ((i = 0; i < 100; i++)); do grep -qE "$1" $RUN/daemon.log && return 0; sleep 0.1; done; return 1; }
check "cut off: the daemon saw the upload abort after more than 1 MiB" \
	logged 'upload from .* aborted: connection closed after [0-9]{7,} bytes'
check "cut off after ~16 MiB: quarantine empty" quarantine_empty
check_eq "cut off: nothing logged" "$(log_size)" "$S0"
for ((i = 0; i < 50; i++)); do [ "$(spools)" = 0 ] && break; sleep 0.1; done
check_eq "cut off: its spool is gone" "$(spools)" 0
check "daemon alive" it_alive
it_stop

# ---------------------------------------------------------------- past max_upload mid-stream
sed -E 's/^([[:space:]]*max_upload[[:space:]]*=).*/\1 3M/' "$SRCDIR/policy/intake.policy" >$T/small.policy
it_start small $T/small.policy
text $T/big.txt 'past the limit' $((8 * MIB))
code=$(icurl alpha -o $T/tl.json -w '%{http_code}' -H 'Transfer-Encoding: chunked' -T - \
	"https://localhost:$PORT/v1/submissions/evidence/big.txt" <$T/big.txt)
check_eq "8 MiB chunked, max_upload 3M -> 422" "$code" 422
check "the finding is too-large" finding $T/tl.json too-large
n=$(jget $T/tl.json size)
check "the recorded prefix is at most 3 MiB (got $n)" [ "${n:-0}" -gt $MIB ] && [ "${n:-0}" -le $((3 * MIB)) ]
head -c "${n:-0}" $T/big.txt >$T/prefix.txt
check_eq "its sha256 is that of the first $n bytes" "$(jget $T/tl.json sha256)" "$(sha $T/prefix.txt)"
check "Go verifies the rejection's receipt" goverify receipt $VKEY $T/tl.json
it_stop

# ---------------------------------------------------------------- SIGTERM during a large upload
it_start term
text $T/term.txt 'in flight at SIGTERM' $((16 * MIB))
iput alpha evidence term.txt $T/term.txt $T/term.json --limit-rate 8M >$T/term.code &
up=$!
sleep 1
kill -TERM $DPID
wait $up
check_eq "a 16 MiB upload in flight at SIGTERM -> 201" "$(cat $T/term.code)" 201
check "its receipt and file verify with Go" goverify receipt $VKEY $T/term.json $T/term.txt
for ((i = 0; i < 350; i++)); do kill -0 $DPID 2>/dev/null || break; sleep 0.1; done
wait $DPID
check_eq "the daemon exits 0 after draining" "$?" 0
DPID=
check "no sanitizer report in the daemon's log" \
	bash -c '! grep -E "(Address|Leak|UndefinedBehavior|Memory|Thread)Sanitizer|runtime error:" "$1"' _ "$RUN/daemon.log"
summary
