#!/bin/bash
# tests/integration/witness.sh: `intake witness` (C2SP tlog-witness) against a real log made by
# intaked, and `intake verify --witness --quorum` (issue 16).
#
# The witness runs on loopback; requests are built here (python3) from the daemon's own
# checkpoints and consistency proofs: the first checkpoint (old 0) and a larger one with its
# proof are cosigned (200), and the cosignatures verify with tests/go/verify (Go's standard
# ed25519, not our C); a stale old size gets 409 text/x.tlog.size with the cosigned size, a bad
# proof 422, a checkpoint without a known log key's signature 403, an unknown origin 404,
# garbage 400, an oversized body 413; a restart keeps the state (409 with the persisted size); a
# malformed state stops it at start. `intake verify` with the witness and quorum 1 passes on an
# answer whose checkpoint carries the cosignature, and fails with a key that did not cosign,
# with quorum 2 of two keys where one cosigned, and with a quorum no key list can meet.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WAIT=50                                 # tenths of a second for the witness to (re)start

it_start witness
U=https://localhost:$PORT
WD=$T/wit
mkdir -p $WD
WPID=
trap 'rc=$?; wstop quiet; (exit $rc); it_cleanup' EXIT

for w in w1 w2; do
	"$INTAKE" keygen --cosigner $w.test -o $WD/$w.key >$WD/$w.out 2>&1 || bail "intake keygen --cosigner: $(cat $WD/$w.out)"
done
W1V=$(grep -Eo '^w1\.test\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$' $WD/w1.out)
W2V=$(grep -Eo '^w2\.test\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$' $WD/w2.out)
check "intake keygen --cosigner prints a type 0x04 verifier key" \
	$PY -c 'import base64,sys; k=base64.b64decode(sys.argv[1].split("+", 2)[2]); sys.exit(not (len(k)==33 and k[0]==4))' "$W1V"
check "the private key is type 0x04 too, mode 0600" bash -c \
	'"$2" -c "import base64,sys; k=base64.b64decode(open(sys.argv[1]).read().strip().split(\"+\", 4)[4]); sys.exit(not (len(k)==33 and k[0]==4))" "$1" &&
	[ "$(stat -c %a "$1")" = 600 ]' _ $WD/w1.key $PY

WP=$(freeport)
# wstart: the witness on 127.0.0.1:$WP with state $WD/w1.state, until it answers
wstart() {
	local i
	(exec setsid "$INTAKE" witness --key $WD/w1.key --log "$(cat $VKEY)" --state $WD/w1.state \
		--listen 127.0.0.1:$WP) >>$WD/witness.log 2>&1 &
	WPID=$!
	for ((i = 0; i < WAIT; i++)); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 http://127.0.0.1:$WP/)" = 404 ] && return 0
		kill -0 $WPID 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
# wstop [quiet]: SIGTERM, bounded; WEXIT is its exit status
wstop() {
	local i
	WEXIT=
	[ -n "$WPID" ] || return 0
	kill -TERM $WPID 2>/dev/null
	for ((i = 0; i < WAIT; i++)); do
		kill -0 $WPID 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL $WPID 2>/dev/null
	wait $WPID 2>/dev/null
	WEXIT=$?
	WPID=
}
# wsubmit OLD CHECKPOINT PROOF|- [BODYFILE]: POSTs add-checkpoint; prints "CODE CONTENT-TYPE",
# the answer's body goes to $WD/answer. BODYFILE, when given, is sent as is instead.
wsubmit() {
	$PY - "$WP" "$@" <<-'PY'
	import http.client, os, sys
	port, old, cp, proof = sys.argv[1:5]
	if len(sys.argv) > 5:
	    body = open(sys.argv[5], "rb").read()
	else:
	    p = b"" if proof == "-" else open(proof, "rb").read().strip()
	    body = b"old " + old.encode() + b"\n" + (p + b"\n" if p else b"") + b"\n" + open(cp, "rb").read()
	c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
	c.request("POST", "/add-checkpoint", body=body)
	r = c.getresponse()
	data = r.read()
	open(os.environ["WD"] + "/answer", "wb").write(data)
	print(r.status, r.getheader("content-type", ""))
	PY
}
export WD
# cosign CHECKPOINT OUT: OUT is CHECKPOINT with the witness's last answer appended
cosign() { cat "$1" $WD/answer >"$2"; }
cp_size() { goverify checkpoint $VKEY "$1" | cut -d' ' -f1; }
upload() { # N: one small upload, answer in $T/uN.json
	printf 'witnessed %d\n' $1 >$T/f$1.txt
	[ "$(iput alpha evidence f$1.txt $T/f$1.txt $T/u$1.json)" = 201 ] || bail "upload $1 was not accepted"
}
# proof_cp ANSWER OUT: the checkpoint of ANSWER's proof
proof_cp() {
	$PY -c 'import json,sys; p=json.load(open(sys.argv[1]))["proof"]; open(sys.argv[2],"w").write(p[p.index("\n\n")+2:])' "$1" "$2"
}
state_size() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]]["size"])' $WD/w1.state "$ORIGIN"; }

wstart || bail "intake witness did not start: $(tail -n 3 $WD/witness.log)"

for i in 1 2 3; do upload $i; done
iget audit /v1/log/checkpoint $T/cp1 >/dev/null
s1=$(cp_size $T/cp1)
r=$(wsubmit 0 $T/cp1 -)
check "a first checkpoint (old 0) is cosigned: 200 ($r)" [ "${r%% *}" = 200 ]
check "the answer is one cosignature line by w1.test" grep -Eqx '— w1\.test [A-Za-z0-9+/=]+' $WD/answer
cosign $T/cp1 $T/cp1.c
check "Go (crypto/ed25519, x/mod) verifies the cosignature" goverify cosigned $VKEY $T/cp1.c 1 "$W1V"
check "Go refuses it as a cosignature by another witness" refuses goverify cosigned $VKEY $T/cp1.c 1 "$W2V"
check_eq "the state holds the cosigned size" "$(state_size)" "$s1"

for i in 4 5; do upload $i; done
iget audit /v1/log/checkpoint $T/cp2 >/dev/null
s2=$(cp_size $T/cp2)
iget audit "/v1/log/consistency?old=$s1&new=$s2" $T/pr12 >/dev/null
r=$(wsubmit $s1 $T/cp2 $T/pr12)
check "a larger checkpoint with its consistency proof: 200 ($r)" [ "${r%% *}" = 200 ]
cosign $T/cp2 $T/cp2.c
check "Go verifies that cosignature too" goverify cosigned $VKEY $T/cp2.c 1 "$W1V"

r=$(wsubmit $s1 $T/cp2 $T/pr12)
check "a stale old size: 409 text/x.tlog.size ($r)" [ "$r" = "409 text/x.tlog.size" ]
check_eq "the 409 body is the cosigned size" "$(cat $WD/answer)" "$s2"

upload 6
iget audit /v1/log/checkpoint $T/cp3 >/dev/null
proof_cp $T/u6.json $T/u6.cp
check "the last upload's proof is against the latest checkpoint" cmp -s $T/cp3 $T/u6.cp
s3=$(cp_size $T/cp3)
iget audit "/v1/log/consistency?old=$s2&new=$s3" $T/pr23 >/dev/null
printf 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n' >$T/bad.proof
r=$(wsubmit $s2 $T/cp3 $T/bad.proof)
check "a bad consistency proof: 422 ($r)" [ "${r%% *}" = 422 ]
r=$(wsubmit 0 $T/cp3 $T/pr23 /dev/null)
check "an empty body: 400 ($r)" [ "${r%% *}" = 400 ]
r=$(wsubmit $((s3 + 1)) $T/cp3 -)
check "old larger than the checkpoint: 400 ($r)" [ "${r%% *}" = 400 ]
# the log's signature line under another name: no signature by a key the witness trusts
sed 's/^— intake\.test\/log /— other.test\/log /' $T/cp3 >$T/cp3.unknownkey
r=$(wsubmit $s2 $T/cp3.unknownkey $T/pr23)
check "a checkpoint signed by no known log key: 403 ($r)" [ "${r%% *}" = 403 ]
$PY -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); i=b.rindex(b" ")+5; b[i]^=1; open(sys.argv[2],"wb").write(b)' $T/cp3 $T/cp3.badsig
r=$(wsubmit $s2 $T/cp3.badsig $T/pr23)
check "a checkpoint with a broken log signature: 403 ($r)" [ "${r%% *}" = 403 ]
sed "1s|^$ORIGIN\$|other.test/log|" $T/cp3 >$T/cp3.other
r=$(wsubmit $s2 $T/cp3.other $T/pr23)
check "an unknown origin: 404 ($r)" [ "${r%% *}" = 404 ]
printf 'hello\n\n\x00\xff garbage' >$T/garbage
r=$(wsubmit 0 x - $T/garbage)
check "garbage: 400 ($r)" [ "${r%% *}" = 400 ]
head -c 100000 /dev/urandom >$T/big
r=$(wsubmit 0 x - $T/big)
check "an oversized body: 413 ($r)" [ "${r%% *}" = 413 ]
check "GET /add-checkpoint: 405" [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://127.0.0.1:$WP/add-checkpoint)" = 405 ]
check_eq "after the refusals the state is unchanged" "$(state_size)" "$s2"
check "the refusals are logged with origin and sizes" bash -c 'grep -q "refused (409): origin \"intake.test/log\": old $2 but cosigned size $3" "$1" &&
	grep -q "refused (422): origin \"intake.test/log\": size $4 root" "$1" && grep -q "refused (404): unknown origin" "$1"' _ $WD/witness.log $s1 $s2 $s3

wstop
check_eq "the witness exits 0 on SIGTERM" "$WEXIT" 0
wstart || bail "intake witness did not restart: $(tail -n 3 $WD/witness.log)"
r=$(wsubmit 0 $T/cp3 -)
check "after a restart, old 0 gets 409 ($r)" [ "$r" = "409 text/x.tlog.size" ]
check_eq "with the persisted size" "$(cat $WD/answer)" "$s2"
r=$(wsubmit $s2 $T/u6.cp $T/pr23)
check "and the next checkpoint with its proof: 200 ($r)" [ "${r%% *}" = 200 ]

# the answer of upload 6 with the cosignature in its proof's checkpoint, as the log will add it
$PY -c 'import json,sys; a=json.load(open(sys.argv[1])); a["proof"]+=open(sys.argv[2]).read(); json.dump(a,open(sys.argv[3],"w"))' \
	$T/u6.json $WD/answer $T/u6w.json
check "Go: the cosigned answer still verifies" goverify receipt $VKEY $T/u6w.json $T/f6.txt
check "Go: its checkpoint carries w1's cosignature" goverify cosigned $VKEY $T/u6w.json 1 "$W1V"
check "intake verify --witness w1 --quorum 1 -> OK" "$INTAKE" verify --vkey $VKEY --witness "$W1V" --quorum 1 $T/u6w.json $T/f6.txt
check "intake verify --witness w1 (quorum: all given) -> OK" "$INTAKE" verify --vkey $VKEY --witness "$W1V" $T/u6w.json
echo "$W1V" >$WD/w1.vkey
check "intake verify takes a witness key file" "$INTAKE" verify --vkey $VKEY --witness $WD/w1.vkey $T/u6w.json
check "intake verify with a witness that did not cosign -> refused" refuses "$INTAKE" verify --vkey $VKEY --witness "$W2V" --quorum 1 $T/u6w.json
check "intake verify --quorum 2 with one of two witnesses -> refused" refuses "$INTAKE" verify --vkey $VKEY --witness "$W1V" --witness "$W2V" --quorum 2 $T/u6w.json
check "intake verify --quorum 2 with one witness key -> refused" refuses "$INTAKE" verify --vkey $VKEY --witness "$W1V" --quorum 2 $T/u6w.json
check "intake verify --witness on an answer without cosignatures -> refused" refuses "$INTAKE" verify --vkey $VKEY --witness "$W1V" $T/u6.json
check "intake verify --witness with a log key -> refused" refuses "$INTAKE" verify --vkey $VKEY --witness "$(cat $VKEY)" --quorum 0 $T/u6w.json
check "intake verify without --witness is unchanged" "$INTAKE" verify --vkey $VKEY $T/u6w.json $T/f6.txt
check "intake audit --url --witness refuses the (unwitnessed) served checkpoint" bash -c \
	'"$1" audit --vkey "$2" --url "$3" --state "$4" --cacert "$5/ca.crt" --cert "$5/audit.crt" --key "$5/audit.key" --witness "$6" 2>&1 >/dev/null | grep -q "under-witnessed" && [ ! -e "$4" ]' \
	_ "$INTAKE" $VKEY $U $T/audit.state $PKI "$W1V"

wstop
printf '{"intake.test/log": {"size": "three"}}' >$WD/w1.state
(exec timeout 10 "$INTAKE" witness --key $WD/w1.key --log "$(cat $VKEY)" --state $WD/w1.state \
	--listen 127.0.0.1:$WP) >$WD/bad.log 2>&1
check_eq "a malformed state stops the witness at start (exit 1)" "$?" 1
check "the daemon is alive" it_alive
it_stop
summary
