#!/bin/bash
# tests/integration/spool.sh: large bodies, written and hashed by a thread of their own (issue 7).
#
# A body past SPOOL_AFTER (1 MiB, front/spool.h) moves to a writer thread while the loop reads on.
# Every path of that hand-over must give the same receipts as the inline path: Content-Length
# and chunked bodies (the chunk framing is not body), a SHA-512 Content-Digest claim checked on
# the spooled bytes, more large uploads at once than SPOOL_THREADS_MAX (8: the rest stay
# inline), a chunked body growing past max_upload after the hand-over (the recorded prefix is
# exactly what its receipt says), a client cut off while the spool holds data, and SIGTERM
# while a spool is writing (the upload is finished and answered, then the daemon exits 0).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MIB=1048576
CONCURRENT=10                           # uploads at once, over SPOOL_THREADS_MAX
it_start spool

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

# ---------------------------------------------------------------- digests on spooled bytes
text $T/d.txt 'digest claim' $((6 * MIB))
code=$(iput alpha evidence d512.txt $T/d.txt $T/d1.json -H "Content-Digest: sha-512=:$(b64d sha512 $T/d.txt):")
check_eq "6 MiB with a true sha-512 Content-Digest -> 201" "$code" 201
text $T/other.txt 'something else' 64
code=$(iput alpha evidence d512bad.txt $T/d.txt $T/d2.json -H "Content-Digest: sha-512=:$(b64d sha512 $T/other.txt):")
check_eq "6 MiB with a false sha-512 Content-Digest -> 422" "$code" 422
check "the false claim is the finding" finding $T/d2.json digest-mismatch

# ---------------------------------------------------------------- more at once than spools
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
check_eq "the log holds every upload so far" "$(log_size)" $((4 + CONCURRENT))
spools() { curl -s --max-time 10 "http://127.0.0.1:$APORT/metrics" | awk '$1 == "intake_spools" {print $2}'; }
check_eq "no spool left running (metrics)" "$(spools)" 0

# ---------------------------------------------------------------- a client cut off mid-body
S0=$(log_size)
text $T/cut.txt 'cut off' $((64 * MIB))
# curl itself in the background (not a function's subshell), so that kill reaches it
curl -s --max-time 60 --resolve "localhost:$PORT:127.0.0.1" --cacert $PKI/ca.crt --cert $PKI/alpha.crt \
	--key $PKI/alpha.key --limit-rate 8M -T $T/cut.txt -o $T/cut.json \
	"https://localhost:$PORT/v1/submissions/evidence/cut.txt" &
up=$!
sleep 2
kill -KILL $up 2>/dev/null
wait $up 2>/dev/null
check "cut off: the daemon saw the upload abort after more than 1 MiB" \
	grep -qE 'upload from .* aborted: connection closed after [0-9]{7,} bytes' $RUN/daemon.log
check "cut off after ~16 MiB: quarantine empty" quarantine_empty
check_eq "cut off: nothing logged" "$(log_size)" "$S0"
check "daemon alive" it_alive
it_stop

# ---------------------------------------------------------------- past max_upload after the hand-over
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

# ---------------------------------------------------------------- SIGTERM while spooling
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
