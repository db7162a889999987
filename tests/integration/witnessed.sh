#!/bin/bash
# tests/integration/witnessed.sh: intaked with witness_quorum 2 and two of our own
# `intake witness` on loopback (issue 16). Both up: an upload is 201 and its proof's checkpoint
# and the served checkpoint carry both cosignatures (checked by Go, tests/go/verify), and
# `intake verify --witness w1 --witness w2 --quorum 2` passes. w2 down: the next upload is 202
# within witness_timeout + 3 s, without a proof, with Location, and the served checkpoint does
# not cover it; so is a fact (POST /v1/parties/ALPHA/facts: 201 cosigned with both up). w2 back
# from an old state (its state file reset: the log's next request gets 409 and size 0): the log
# resyncs and the held receipts get a proof with both cosignatures.
# A witness answering garbage crashes nothing; after a restart of the daemon the witnesses'
# state is kept and uploads are cosigned again.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WAIT=50                                 # tenths of a second for a witness to start
TIMEOUT=3                               # the daemon's witness_timeout
WD=$T/wit
mkdir -p $WD
declare -A WPID=()
WP1=$(freeport) WP2=$(freeport) WP3=$(freeport)
trap 'rc=$?; for w in "${!WPID[@]}"; do kill ${WPID[$w]} 2>/dev/null; done; (exit $rc); it_cleanup' EXIT

for w in w1 w2; do
	"$INTAKE" keygen --cosigner $w.test -o $WD/$w.key >$WD/$w.out 2>&1 || bail "keygen --cosigner: $(cat $WD/$w.out)"
	grep -Eo "^$w\.test\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+\$" $WD/$w.out >$WD/$w.vkey
done
W1V=$(cat $WD/w1.vkey) W2V=$(cat $WD/w2.vkey)

# wstart NAME PORT: our witness for the daemon's log key, until it answers
wstart() {
	local i
	(exec setsid "$INTAKE" witness --key $WD/$1.key --log "$(cat $VKEY)" --state $WD/$1.state \
		--listen 127.0.0.1:$2) >>$WD/$1.log 2>&1 &
	WPID[$1]=$!
	for ((i = 0; i < WAIT; i++)); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://127.0.0.1:$2/)" = 404 ] && return 0
		sleep 0.1
	done
	bail "witness $1 did not start: $(tail -n 2 $WD/$1.log)"
}
wstop() { kill ${WPID[$1]} 2>/dev/null; wait ${WPID[$1]} 2>/dev/null; unset "WPID[$1]"; }

# the witnesses need the log key, made by it_config: start them from its hook
witnessed_config() {
	wstart w1 $WP1
	wstart w2 $WP2
	sed -i "s|^key    = $RUN/log.key|&\nwitness_quorum = 2\nwitness_timeout = $TIMEOUT|" $RUN/intaked.conf
	cat >>$RUN/intaked.conf <<-EOF
	[witness w1]
	url  = http://127.0.0.1:$WP1
	vkey = $W1V
	[witness w2]
	url  = http://127.0.0.1:$WP2/
	vkey = $W2V
	EOF
}
IT_AFTER_CONFIG=witnessed_config it_start witnessed
U=https://localhost:$PORT
check "intaked -t accepts the witnessed configuration" "$INTAKED" -t -c $RUN/intaked.conf

# both up
mkpdf $T/a.pdf
code=$(iput alpha evidence a.pdf $T/a.pdf $T/a.json)
check_eq "upload with both witnesses up" "$code" 201
check "Go: the proof's checkpoint carries both cosignatures" goverify cosigned $VKEY $T/a.json 2 "$W1V" "$W2V"
iget audit /v1/log/checkpoint $T/cp.a >/dev/null
check "Go: GET /v1/log/checkpoint carries both cosignatures" goverify cosigned $VKEY $T/cp.a 2 "$W1V" "$W2V"
check "intake verify --witness w1 --witness w2 --quorum 2 passes" "$INTAKE" verify --vkey "$(cat $VKEY)" \
	--witness "$W1V" --witness "$W2V" --quorum 2 $T/a.json $T/a.pdf
check "Go verifies the receipt" goverify receipt $VKEY $T/a.json $T/a.pdf
# /metrics: the quorum, the published size (the checkpoint just served) and each witness's
s=$(goverify checkpoint $VKEY $T/cp.a | cut -d' ' -f1)
check_eq "/metrics: intake_witness_quorum" "$(metric intake_witness_quorum)" 2
check_eq "/metrics: intake_log_published_size is the served checkpoint's" "$(metric intake_log_published_size)" "$s"
check_eq "/metrics: w1's cosigned size" "$(metric 'intake_witness_cosigned_size{witness="w1"}')" "$s"
check_eq "/metrics: w2's cosigned size" "$(metric 'intake_witness_cosigned_size{witness="w2"}')" "$s"
fact() { icurl secas -D $T/$1.hdr -o $T/$1.json -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	--data '{"fact":"cio-fieldwork","date":"2025-01-10"}' "$U/v1/parties/ALPHA/facts"; }
check_eq "a fact with both witnesses up" "$(fact f1)" 201
check "Go: the fact's proof is against a checkpoint both witnesses cosigned" goverify cosigned $VKEY $T/f1.json 2 "$W1V" "$W2V"

# w2 down: held back, 202 without a proof
wstop w2
printf 'held back\n' >$T/b.txt
SECONDS=0
code=$(icurl alpha -D $T/b.hdr -o $T/b.json -w '%{http_code}' -T $T/b.txt "$U/v1/submissions/evidence/b.txt")
t=$SECONDS
check "with w2 down the upload is 202 within witness_timeout + 3 s ($code in ${t}s)" [ "$code" = 202 -a $t -le $((TIMEOUT + 3)) ]
idx=$(jget $T/b.json index)
check "the 202 answer names its index and receipt, and has no proof" \
	[ -n "$idx" -a -n "$(jget $T/b.json receipt)" -a -z "$(jget $T/b.json proof)" ]
check "the 202 answer's Location is /v1/receipts/$idx" grep -qi "^Location: /v1/receipts/$idx" $T/b.hdr
iget audit /v1/log/checkpoint $T/cp.b >/dev/null
s=$(goverify checkpoint $VKEY $T/cp.b | cut -d' ' -f1)
check "the served checkpoint does not cover it ($s <= $idx)" [ "${s:-99}" -le "${idx:-0}" ]
check_eq "GET /v1/receipts/$idx meanwhile" "$(iget alpha /v1/receipts/$idx $T/b1.json)" 200
check "it has no proof yet" [ -z "$(jget $T/b1.json proof)" ]
SECONDS=0
code=$(fact f2)
t=$SECONDS
check "with w2 down a fact is 202 within witness_timeout + 3 s ($code in ${t}s)" [ "$code" = 202 -a $t -le $((TIMEOUT + 3)) ]
fidx=$(jget $T/f2.json index)
check "its answer has the receipt and no proof" [ -n "$fidx" -a -n "$(jget $T/f2.json receipt)" -a -z "$(jget $T/f2.json proof)" ]
check "and Location: /v1/receipts/$fidx" grep -qi "^Location: /v1/receipts/$fidx" $T/f2.hdr

# w2 back from an old state: 409 with size 0, then resync
rm -f $WD/w2.state
wstart w2 $WP2
printf 'after\n' >$T/c.txt
code=$(iput alpha evidence c.txt $T/c.txt $T/c.json)
check_eq "after w2 returns with lost state an upload" "$code" 201
ok=0
for i in $(seq 1 40); do
	iget alpha /v1/receipts/$idx $T/b2.json >/dev/null
	[ -n "$(jget $T/b2.json proof)" ] && goverify cosigned $VKEY $T/b2.json 2 "$W1V" "$W2V" >/dev/null 2>&1 && { ok=1; break; }
	sleep 0.25
done
check "the held receipt now has a proof against a checkpoint both witnesses cosigned" [ $ok = 1 ]
check "Go verifies that receipt and its proof" goverify receipt $VKEY $T/b2.json $T/b.txt
iget secas /v1/receipts/$fidx $T/f3.json >/dev/null
check "so does the held fact, cosigned by both" goverify cosigned $VKEY $T/f3.json 2 "$W1V" "$W2V"
check "the daemon logged the resync" grep -q "w2: resyncing from size 0" $RUN/daemon.log

# a witness that answers garbage: nothing crashes
$PY - $WP3 >$WD/junk.log 2>&1 <<-'PY' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = b"\x00\xff garbage \xe2\x80\x94 not a cosignature\n" * 50
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
WPID[junk]=$!
"$INTAKE" keygen --cosigner junk.test -o $WD/junk.key >$WD/junk.out 2>&1
it_stop
cat >>$RUN/intaked.conf <<-EOF
[witness junk]
url  = http://127.0.0.1:$WP3
vkey = $(grep -Eo '^junk\.test\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$' $WD/junk.out)
EOF
it_launch || bail "intaked did not restart: $(tail -n 3 $RUN/daemon.log)"
printf 'third\n' >$T/d.txt
code=$(iput alpha evidence d.txt $T/d.txt $T/d.json)
check_eq "after a restart, with a junk witness beside them, an upload" "$code" 201
check "Go: its proof carries both real cosignatures" goverify cosigned $VKEY $T/d.json 2 "$W1V" "$W2V"
check "the junk witness's answer was refused, not stored" grep -q "witness junk: answered 200 without a valid cosignature" $RUN/daemon.log
check "the daemon is alive" it_alive
check "w1 did not have to resync after the restart (its state was kept)" \
	bash -c "[ \$(grep -c 'w1: resyncing' $RUN/daemon.log) = 0 ]"
it_stop
summary witnessed
