#!/bin/bash
# tests/integration/crash.sh: kill -9 during concurrent uploads (issue 6), against the real
# daemon on loopback.
#
# ROUNDS times: CLIENTS curl uploads of a few MB each (text ones accepted, binary ones
# rejected), at different rates, run at once; at a random moment the daemon's process group
# gets SIGKILL and the daemon is started again on the same data. Then: every upload that was
# answered (201 or 422) is fetched by the auditor from /v1/receipts/{index} and verifies with
# Go's x/mod against the new tree, with the same verdict and the file's hash; each restart's
# checkpoint is consistent with the one before (Go checks the proof); a clean SIGTERM; then,
# offline, `intake audit --data` passes, every file in DATA/store is named by an accepted entry
# of the ledger (DATA/ledger.db, or the PostgreSQL ledger under tests/pg.sh) and the reverse,
# and DATA/quarantine is empty. Last (SQLite), a power loss that took a file whose bytes were
# still in the ledger's stash (notary.c): the audit says the stash holds it (and fails on a
# stash row that is not its blob's bytes), and intaked puts the file back when it starts.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS=${CRASH_ROUNDS:-5}               # kill -9 rounds
CLIENTS=8                               # concurrent uploads per round
SIZE_MIN=$((2 * 1024 * 1024))           # bytes of random data per upload (text ones are 4/3 of it)
SIZE_MAX=$((4 * 1024 * 1024))
KILL_MIN=100                            # ms after the uploads start: earliest kill
KILL_MAX=2500                           #                               latest kill
# Under the sanitizers eight concurrent uploads of this size take about 2.5 s on the 2-core
# machine (as fast as without them take 0.3 s): the window grows with them, or whole rounds
# end before anything was answered and there is nothing to check.
it_asan && KILL_MAX=$((KILL_MAX * 3))
RATES=(1M 2M 4M 8M 0)                   # curl --limit-rate per client (0: none)

CPIDS=""                                # curl pids of the current round, killed on exit
crash_cleanup() {
	local rc=$? p
	for p in $CPIDS; do kill -KILL $p 2>/dev/null; done
	(exit $rc)
	it_cleanup
}
trap crash_cleanup EXIT

command -v sqlite3 >/dev/null || bail "sqlite3 (the CLI) is needed to look into DATA/ledger.db"
it_start crash
mkdir -p $T/up
SECONDS=0

# the files, made before the clock starts: odd clients text (accepted), even ones binary (rejected)
for ((r = 1; r <= ROUNDS; r++)); do
	for ((c = 1; c <= CLIENTS; c++)); do
		n=$((SIZE_MIN + RANDOM * 128 % (SIZE_MAX - SIZE_MIN)))
		if ((c % 2)); then
			randtext $((n * 4 / 3)) >$T/up/r$r-c$c.txt
		else
			head -c $n /dev/urandom >$T/up/r$r-c$c.bin
		fi
	done
done

: >$T/answered                          # "FILE INDEX CODE" of every answered upload
note "made $((ROUNDS * CLIENTS)) files in ${SECONDS}s"
cp_get() { iget audit /v1/log/checkpoint "$1"; }
check_eq "checkpoint of the empty log" "$(cp_get $T/cp0)" 200
prev=$T/cp0
for ((r = 1; r <= ROUNDS; r++)); do
	CPIDS=""
	for f in $T/up/r$r-*; do
		b=$(basename $f)
		rate=${RATES[RANDOM % ${#RATES[@]}]}
		curl -s --max-time 30 --resolve "localhost:$PORT:127.0.0.1" --cacert $PKI/ca.crt \
			--cert $PKI/alpha.crt --key $PKI/alpha.key --limit-rate $rate -T $f \
			-o $T/up/$b.json -w '%{http_code}' "https://localhost:$PORT/v1/submissions/evidence/$b" \
			>$T/up/$b.code 2>/dev/null &
		CPIDS="$CPIDS $!"
	done
	ms=$((KILL_MIN + RANDOM % (KILL_MAX - KILL_MIN)))
	sleep $(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))
	kill -KILL -- -$DPID 2>/dev/null
	wait $DPID 2>/dev/null
	DPID=
	for p in $CPIDS; do wait $p 2>/dev/null; done
	CPIDS=""
	got=0
	for f in $T/up/r$r-*.txt $T/up/r$r-*.bin; do
		code=$(cat $f.code 2>/dev/null)
		case $code in
		201 | 422)
			got=$((got + 1))
			echo "$f $(jget $f.json index) $code" >>$T/answered
			;;
		esac
	done
	it_launch || bail "round $r: intaked did not come back after kill -9: $(tail -n 3 $RUN/daemon.log)"
	note "round $r: killed after ${ms} ms; $got of $CLIENTS uploads had been answered"
	check_eq "round $r: checkpoint after the restart" "$(cp_get $T/cp$r)" 200
	old=$(goverify checkpoint $VKEY $prev | cut -d' ' -f1)
	new=$(goverify checkpoint $VKEY $T/cp$r | cut -d' ' -f1)
	if [ "$old" = 0 ]; then
		check "round $r: checkpoint 0 -> $new (an empty tree is consistent with any)" [ -n "$new" ]
	elif [ -n "$old" ] && [ -n "$new" ] && [ "$old" = "$new" ]; then
		check "round $r: same size $new, same root as before" \
			[ "$(goverify checkpoint $VKEY $prev)" = "$(goverify checkpoint $VKEY $T/cp$r)" ]
	else
		code=$(iget audit "/v1/log/consistency?old=$old&new=$new" $T/proof$r)
		check "round $r: checkpoint $old -> $new consistent (Go; proof $code)" \
			goverify consistency $VKEY $prev $T/cp$r $T/proof$r
	fi
	prev=$T/cp$r
done

# every answered upload, as the auditor sees it now
n=0 lost=0 bad=""
while read -r f idx code; do
	n=$((n + 1))
	want=accepted
	[ "$code" = 422 ] && want=rejected
	if [ "$(iget audit /v1/receipts/$idx $T/g.json)" = 200 ] &&
		goverify receipt $VKEY $T/g.json $f >/dev/null 2>&1 &&
		[ "$(jget $T/g.json verdict)" = $want ] && [ "$(jget $T/g.json filename)" = "$(basename $f)" ]; then
		continue
	fi
	lost=$((lost + 1))
	bad="$bad $(basename $f)@$idx"
done <$T/answered
check "all $n answered uploads verify with Go against the new tree, same verdict (lost $lost:$bad)" \
	bash -c '[ "$1" -gt 0 ] && [ "$2" = 0 ]' _ $n $lost
check "some answered uploads were accepted and some rejected" \
	bash -c 'grep -q " 201$" "$1" && grep -q " 422$" "$1"' _ $T/answered
final=$(goverify checkpoint $VKEY $prev | cut -d' ' -f1)
maxidx=$(awk 'BEGIN { m = -1 } $2 > m { m = $2 } END { print m }' $T/answered)
check "the tree (size $final) holds every answered index (highest $maxidx)" [ "${final:-0}" -gt "$maxidx" ]
printf 'after the crashes\n' >$T/after.txt
check_eq "a normal upload after the crashes -> 201" "$(iput alpha evidence after.txt $T/after.txt $T/after.json)" 201
check "its receipt verifies with Go" goverify receipt $VKEY $T/after.json $T/after.txt
note "recovery: $(grep -c 'recovery:' $RUN/daemon.log) restarts cleaned up; $(grep 'recovery:' $RUN/daemon.log | tail -n 1)"
it_stop

# offline: the audit, orphans, the quarantine
out=$("$INTAKE" audit --vkey "$(cat $VKEY)" --data $RUN/data ${PGDSN:+--dsn "$PGDSN"} 2>&1)
rc=$?
note "intake audit --data: $(printf '%s' "$out" | tail -n 3)"
check_eq "intake audit --vkey … --data DIR passes after $ROUNDS kill -9 rounds" "$rc" 0
if [ -z "${PGDSN:-}" ]; then
	sqlite3 -readonly "file:$RUN/data/ledger.db?mode=ro" \
		"SELECT lower(hex(sha256)) FROM entries WHERE verdict = 'accepted'" 2>$T/sql.err |
		sort -u >$T/accepted
else
	psql "$PGDSN" -XAtq -c "SELECT encode(sha256, 'hex') FROM entries WHERE verdict = 'accepted'" \
		2>$T/sql.err | sort -u >$T/accepted
fi
check "the ledger is readable with ${PGDSN:+psql}${PGDSN:-sqlite3} ($(wc -l <$T/accepted) accepted blobs)" \
	bash -c '[ ! -s "$1" ] && [ -s "$2" ]' _ $T/sql.err $T/accepted
find $RUN/data/store -type f -printf '%f\n' | sort >$T/stored
orphans=$(comm -13 $T/accepted $T/stored | wc -l)
missing=$(comm -23 $T/accepted $T/stored | wc -l)
check_eq "no orphan file in DATA/store" "$orphans" 0
check_eq "no accepted entry without its file in DATA/store" "$missing" 0
check "every file in DATA/store is <2 hex>/<its 64 hex name>" bash -c '
	cd "$1" && find . -type f | grep -vE "^\./([0-9a-f]{2})/\1[0-9a-f]{62}\$" | { ! grep .; }' _ $RUN/data/store
check "DATA/quarantine is empty" bash -c '[ -z "$(ls -A "$1")" ]' _ $RUN/data/quarantine

stash_rows() { sqlite3 -readonly "file:$RUN/data/ledger.db?mode=ro" 'SELECT count(*) FROM stash'; }
if [ -z "${PGDSN:-}" ]; then
	check_eq "a clean stop leaves the stash empty" "$(stash_rows)" 0
	# the power went before a syncfs of the store: the file is gone, its row is not
	sha=$(sha256sum $T/after.txt | cut -d' ' -f1)
	blob=$RUN/data/store/${sha:0:2}/$sha
	sqlite3 $RUN/data/ledger.db "INSERT INTO stash(sha256, data) VALUES(X'$sha', readfile('$T/after.txt'))"
	rm -f $blob
	out=$("$INTAKE" audit --vkey "$(cat $VKEY)" --data $RUN/data 2>&1)
	rc=$?
	note "intake audit --data: $(printf '%s' "$out" | tail -n 2 | tr '\n' ' ')"
	check_eq "intake audit --data passes with a file held only by the stash" "$rc" 0
	check "... and says the stash holds it" grep -q "held whole in the ledger's stash" <<<"$out"
	zero=$(printf '0%.0s' {1..64})
	sqlite3 $RUN/data/ledger.db "INSERT INTO stash(sha256, data) VALUES(X'$zero', 'not its bytes')"
	"$INTAKE" audit --vkey "$(cat $VKEY)" --data $RUN/data >$T/audit.out 2>&1
	check "intake audit --data fails on a stash row that is not its blob's bytes" \
		bash -c '[ "$1" != 0 ] && grep -q "does not hold its bytes" "$2"' _ $? $T/audit.out
	sqlite3 $RUN/data/ledger.db "DELETE FROM stash WHERE sha256 = X'$zero'"
	[ "$(id -u)" = 0 ] && chown --reference=$RUN/data $RUN/data/ledger.db*
	it_launch || bail "intaked did not start again: $(tail -n 2 $RUN/daemon.log)"
	check "intaked put the file back when it started" cmp $blob $T/after.txt
	check "... and said so" grep -q 'put back in the store' $RUN/daemon.log
	check_eq "... and the upload's receipt is served" "$(iget audit /v1/receipts/$(jget $T/after.json index) $T/g.json)" 200
	it_stop
	check_eq "the stash is empty again" "$(stash_rows)" 0
fi
summary
