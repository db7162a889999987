#!/bin/bash
# tests/integration/multinode.sh: two intaked nodes share one PostgreSQL ledger and one content
# store ([ledger] backend = postgresql, [store] path), as behind a TCP load balancer. 8 clients
# send 15 distinct uploads each, alternating nodes, while node A is killed -9 (its whole process
# group: parent, front, inspectors, notary). Then:
#   - at least half of the 120 uploads are answered 201;
#   - no index is given twice, and every answered receipt is in the surviving node's log
#     (the same signed entry) and verifies, with its file, by Go's x/mod (tests/go/verify);
#   - the checkpoint after the kill is consistent with one taken before it;
#   - node A restarts on the same database and store, serves the same tree, and its next
#     upload gets the next index; `intake audit --dsn` checks the whole log and store.
# Without INTAKE_TEST_DSN it runs itself under tests/pg.sh (a throwaway cluster).
if [ -z "${INTAKE_TEST_DSN:-}" ]; then
	exec bash "$(cd "$(dirname "$0")/../.." && pwd)/tests/pg.sh" bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

CLIENTS=8
EACH=15
TOTAL=$((CLIENTS * EACH))

it_pki
it_config a
STORE=$T/store
printf '[store]\npath = %s\n' "$STORE" >>"$RUN/intaked.conf"
A_RUN=$RUN A_PORT=$PORT A_APORT=$APORT
# node B: the same key, database and store; its own ports and data directory
B_RUN=$T/b B_PORT=$(freeport) B_APORT=$(freeport)
mkdir -p "$B_RUN"
cp "$A_RUN/log.key" "$A_RUN/parties.conf" "$B_RUN/"
sed -e "s#^listen = 127.0.0.1:$A_PORT#listen = 127.0.0.1:$B_PORT#" \
	-e "s#^admin  = 127.0.0.1:$A_APORT#admin  = 127.0.0.1:$B_APORT#" \
	-e "s#^data   = $A_RUN/data#data   = $B_RUN/data#" \
	-e "s#$A_RUN/log.key#$B_RUN/log.key#" -e "s#$A_RUN/parties.conf#$B_RUN/parties.conf#" \
	"$A_RUN/intaked.conf" >"$B_RUN/intaked.conf"
check "node B listens elsewhere, keeps its own data, shares the ledger and store" \
	bash -c 'grep -q "^listen = 127.0.0.1:$1" "$2" && grep -q "^data   = $3/data" "$2" &&
		grep -q "^path = $4" "$2" && grep -q "^backend = postgresql" "$2"' _ \
	"$B_PORT" "$B_RUN/intaked.conf" "$B_RUN" "$STORE"

# use NODE: points the harness (RUN, PORT, APORT, DPID) at node a or b
A_PID= B_PID=
use() {
	case $1 in
	a) RUN=$A_RUN PORT=$A_PORT APORT=$A_APORT DPID=$A_PID ;;
	b) RUN=$B_RUN PORT=$B_PORT APORT=$B_APORT DPID=$B_PID ;;
	esac
}
keep() { case $1 in a) A_PID=$DPID ;; b) B_PID=$DPID ;; esac; }
# it_cleanup stops $DPID only: stop both nodes on exit, then clean up as it does
mn_stop_all() {
	use a; it_stop quiet
	use b; it_stop quiet
}
trap 'mn_rc=$?; mn_stop_all; (exit $mn_rc); it_cleanup' EXIT

use a; it_launch || bail "node A did not start: $(tail -n 3 "$A_RUN/daemon.log")"; keep a
use b; it_launch || bail "node B did not start: $(tail -n 3 "$B_RUN/daemon.log")"; keep b

# a few uploads first, on both nodes, so that there is a checkpoint to be consistent with
for i in 1 2 3 4; do
	n=$([ $((i % 2)) = 1 ] && echo a || echo b)
	use $n
	printf 'warm-up %d of %s\n' "$i" "$$" >"$T/w$i.txt"
	code=$(iput alpha evidence "w$i.txt" "$T/w$i.txt" "$T/w$i.json")
	check_eq "warm-up upload $i to node $n" "$code" 201
done
use b
check_eq "the checkpoint before the kill (node B)" "$(iget audit /v1/log/checkpoint "$T/cp.before")" 200
OLD=$(goverify checkpoint "$VKEY" "$T/cp.before" | awk '{print $1}')
check_eq "it covers the warm-up" "$OLD" 4
use a
check_eq "node A serves the same checkpoint" "$(iget audit /v1/log/checkpoint "$T/cpa.before")" 200
check "the two nodes' checkpoints are the same signed note" cmp -s "$T/cp.before" "$T/cpa.before"

# ---------------------------------------------------------------- the run, and the kill
mkdir -p "$T/up"
client() {          # client C: EACH distinct uploads, alternating nodes
	local c=$1 k n port f code
	for ((k = 0; k < EACH; k++)); do
		if [ $(((c + k) % 2)) = 0 ]; then n=a port=$A_PORT; else n=b port=$B_PORT; fi
		f=$T/up/c$c-$k
		{
			printf 'multi-node evidence: client %d upload %d run %s\n' "$c" "$k" "$$"
			head -c 2048 /dev/urandom | base64
		} >"$f.txt"
		code=$(curl -s --max-time 30 --resolve "localhost:$port:127.0.0.1" \
			--cacert "$PKI/ca.crt" --cert "$PKI/alpha.crt" --key "$PKI/alpha.key" \
			-o "$f.json" -w '%{http_code}' -T "$f.txt" \
			"https://localhost:$port/v1/submissions/evidence/c$c-$k.txt")
		echo "$n $code" >"$f.code"
	done
}
pids=()
for ((c = 0; c < CLIENTS; c++)); do
	client $c &
	pids+=($!)
done
# kill node A once about a fifth of the uploads are answered (bounded: 60 s)
for ((i = 0; i < 600; i++)); do
	[ "$(cat "$T"/up/*.code 2>/dev/null | grep -c ' 201$')" -ge $((TOTAL / 5)) ] && break
	sleep 0.1
done
answered_before=$(cat "$T"/up/*.code 2>/dev/null | grep -c ' 201$')
kill -KILL -- -"$A_PID" 2>/dev/null
wait "$A_PID" 2>/dev/null
A_PID=
note "node A killed -9 after $answered_before answers"
for p in "${pids[@]}"; do wait "$p"; done

ok=$(cat "$T"/up/*.code | grep -c ' 201$')
oka=$(cat "$T"/up/*.code | grep -c '^a 201$')
okb=$(cat "$T"/up/*.code | grep -c '^b 201$')
note "answered 201: $ok of $TOTAL (node A $oka, node B $okb)"
check "at least half of the $TOTAL uploads answered 201 ($ok)" [ "$ok" -ge $((TOTAL / 2)) ]
check "node A answered some before it was killed ($oka)" [ "$oka" -gt 0 ]
check "no answer other than 201 from node B" \
	bash -c '! grep -h "^b " "$1"/up/*.code | grep -qv " 201$"' _ "$T"

# ---------------------------------------------------------------- what was answered
use b
: >"$T/indices"
bad=0 notinlog=0
for code in "$T"/up/*.code; do
	f=${code%.code}
	grep -q ' 201$' "$code" || continue
	idx=$(jget "$f.json" index)
	echo "$idx" >>"$T/indices"
	goverify receipt "$VKEY" "$f.json" "$f.txt" >/dev/null 2>&1 || { bad=$((bad + 1)); continue; }
	# the surviving node's log holds the same signed entry at that index
	if [ "$(iget alpha "/v1/receipts/$idx" "$f.log.json")" != 200 ] ||
		[ "$(goverify entry "$VKEY" "$f.log.json")" != "$(goverify entry "$VKEY" "$f.json")" ]; then
		notinlog=$((notinlog + 1))
	fi
done
check_eq "every answered receipt verifies with its file (Go x/mod)" "$bad" 0
check_eq "every answered receipt is in node B's log, the same entry" "$notinlog" 0
check_eq "no index given twice" "$(sort -n "$T/indices" | uniq -d | wc -l)" 0

check_eq "the checkpoint after the kill (node B)" "$(iget audit /v1/log/checkpoint "$T/cp.after")" 200
NEW=$(goverify checkpoint "$VKEY" "$T/cp.after" | awk '{print $1}')
check "it covers every answered upload ($NEW >= $((ok + 4)))" [ "${NEW:-0}" -ge $((ok + 4)) ]
check_eq "consistency $OLD -> $NEW" "$(iget audit "/v1/log/consistency?old=$OLD&new=$NEW" "$T/cons")" 200
check "the checkpoint after the kill is consistent with the one before (Go tlog)" \
	goverify consistency "$VKEY" "$T/cp.before" "$T/cp.after" "$T/cons"
check "the whole tree rebuilds from node B's tiles (Go tlog)" \
	goverify tiles "$VKEY" "https://localhost:$PORT" "$PKI/ca.crt" "$PKI/audit.crt" "$PKI/audit.key"

# ---------------------------------------------------------------- node A comes back
use a
it_launch || bail "node A did not come back: $(tail -n 3 "$A_RUN/daemon.log")"
keep a
check_eq "restarted node A serves a checkpoint" "$(iget audit /v1/log/checkpoint "$T/cpa.after")" 200
check "the same tree as node B (the same signed note)" cmp -s "$T/cp.after" "$T/cpa.after"
printf 'after the restart %s\n' "$$" >"$T/next.txt"
check_eq "node A takes an upload after its restart" \
	"$(iput alpha evidence next.txt "$T/next.txt" "$T/next.json")" 201
check_eq "it gets the next index" "$(jget "$T/next.json" index)" "$NEW"
check "its receipt verifies with its file" goverify receipt "$VKEY" "$T/next.json" "$T/next.txt"
use b
printf 'and on node B %s\n' "$$" >"$T/next2.txt"
check_eq "node B then gives the index after it" \
	"$(iput alpha evidence next2.txt "$T/next2.txt" "$T/next2.json" >/dev/null; jget "$T/next2.json" index)" \
	$((NEW + 1))
code=$(iget secas "/v1/receipts/$NEW/file" "$T/next.back")
check_eq "node B serves the file node A stored (shared store)" "$code" 200
check "byte for byte" cmp -s "$T/next.txt" "$T/next.back"

# the whole log and every blob, offline, against the database and the shared store
check "intake audit --dsn: the log and every stored file" \
	"$INTAKE" audit --vkey "$(cat "$VKEY")" --dsn "$PGDSN" --data "$B_RUN/data" --store "$STORE"

use a; it_stop
use b; it_stop
summary
