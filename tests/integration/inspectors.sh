#!/bin/bash
# tests/integration/inspectors.sh: the inspectors are processes of their own (issue 15),
# against the real daemon on loopback.
#
# There are `workers` processes named intaked-inspect, children of its front; run as root,
# each has a non-root uid, no_new_privs and a seccomp filter (/proc/PID/status). An upload is
# accepted through them. An inspector killed with SIGKILL in the middle of a long inspection
# (a zip of 9000 small members) rejects that one upload with `inspect-crashed`, whose receipt
# Go verifies with the file's hash; the daemon lives on, a fresh inspector replaces the dead
# one (reaped, no zombie) and the next upload is accepted; inspectors killed while idle are
# replaced too and the next upload is accepted. One Party's small files queue, four at most,
# at an inspector busy with its small file (with the inspectors stopped, each next request lies
# in the same socket as the first: ss shows its receive queue grow by one request each, up to
# five, and a sixth upload waits in the front): let go, all six are accepted; the inspector
# killed instead, the current one is rejected `inspect-crashed` and the queued ones are
# inspected by the replacement and accepted, recorded in the order they came. SIGTERM ends and
# reaps them all.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WORKERS=2                               # [limits] workers, the default

# children NAME PARENT: the pids of PARENT's children named NAME, one per line
children() {
	local d
	for d in /proc/[0-9]*; do
		[ "$(cat $d/comm 2>/dev/null)" = "$1" ] || continue
		[ "$(awk '$1 == "PPid:" {print $2}' $d/status 2>/dev/null)" = "$2" ] || continue
		echo "${d#/proc/}"
	done
}
# inspectors: the pids of the front's children named intaked-inspect, one per line (the
# front, a child of the daemon, starts them)
inspectors() {
	local d front
	front=$(children intaked-front "$DPID" | head -1)
	[ -n "$front" ] || return 0
	for d in /proc/[0-9]*; do
		[ "$(cat $d/comm 2>/dev/null)" = intaked-inspect ] || continue
		[ "$(awk '$1 == "PPid:" {print $2}' $d/status 2>/dev/null)" = "$front" ] || continue
		# a zombie is not an inspector
		awk '$1 == "State:" {exit ($2 == "Z")}' $d/status 2>/dev/null || continue
		echo "${d#/proc/}"
	done
}
# within10 CMD...: up to 10 s for CMD to succeed
within10() {
	local i
	for ((i = 0; i < 100; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
# wait_inspectors N: up to 10 s for N of them
inspectors_are() { [ "$(inspectors | wc -l)" = "$1" ]; }
wait_inspectors() { within10 inspectors_are "$1"; }
# status_of PID KEY: a field of /proc/PID/status
status_of() { awk -v k="$2:" '$1 == k {print $2}' /proc/$1/status 2>/dev/null; }
# cpu_of PID: utime + stime in ticks
cpu_of() { awk '{sub(/^.*\) /, ""); print $12 + $13}' /proc/$1/stat 2>/dev/null; }

it_start insp
check "the daemon has $WORKERS inspector processes" wait_inspectors $WORKERS
for p in $(inspectors); do
	check "inspector $p has no_new_privs" [ "$(status_of $p NoNewPrivs)" = 1 ]
	check "inspector $p runs under a seccomp filter" [ "$(status_of $p Seccomp)" = 2 ]
	if [ "$(id -u)" = 0 ]; then
		check "inspector $p does not run as root (uid $(status_of $p Uid))" \
			[ "$(status_of $p Uid)" != 0 ]
		check "inspector $p runs as intaked" [ "$(status_of $p Uid)" = "$(id -u intaked)" ]
	fi
done

mkpdf $T/letter.pdf
check_eq "a PDF is accepted through the inspectors" \
	"$(iput alpha director-letter letter.pdf $T/letter.pdf $T/r1.json)" 201
check "its receipt verifies" goverify receipt $VKEY $T/r1.json $T/letter.pdf

# a zip whose inspection takes a few seconds: 9000 small members
$PY - "$T/big.zip" <<-'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for i in range(9000):
        z.writestr("evidence/dir%03d/note%05d.txt" % (i // 100, i), ("evidence line %d\n" % i) * 20)
PY
before=$(inspectors | sort)
iput alpha evidence-bundle big.zip $T/big.zip $T/r2.json >$T/r2.code &
upid=$!
# the inspector whose CPU time grows is the one at work on it
victim=
declare -A cpu0
for p in $before; do cpu0[$p]=$(cpu_of $p); done
for ((i = 0; i < 300; i++)); do
	[ -n "$victim" ] && break
	sleep 0.1
	for p in $before; do
		c=$(cpu_of $p)
		if [ -n "$c" ] && [ "$c" -gt $((${cpu0[$p]:-0} + 20)) ]; then
			victim=$p
			break
		fi
	done
done
check "an inspector is seen at work on the zip" [ -n "$victim" ]
[ -n "$victim" ] && kill -KILL $victim
wait $upid
check_eq "the upload whose inspector was killed is rejected" "$(cat $T/r2.code)" 422
check "its finding is inspect-crashed" grep -q '"inspect-crashed"' $T/r2.json
check "its receipt verifies with the file's hash" goverify receipt $VKEY $T/r2.json $T/big.zip
check "the entry records the rejection" entry_has $T/r2.json "verdict: rejected"
check "the daemon is still running" it_alive
check "the crash is logged with Party and kind" \
	grep -q 'inspector crashed: Party ALPHA, kind evidence-bundle' "$RUN/daemon.log"
check "a fresh inspector takes its place" wait_inspectors $WORKERS
check "the killed inspector is reaped (no zombie)" [ ! -e /proc/$victim ]
check "the killed inspector is not among them" bash -c '! grep -qx "$1" <<<"$2"' _ "$victim" "$(inspectors)"

printf 'Access review, second quarter: no findings.\n' >$T/review.txt
check_eq "the next upload is accepted through the replacement" \
	"$(iput alpha evidence review.txt $T/review.txt $T/r3.json)" 201
check "its receipt verifies" goverify receipt $VKEY $T/r3.json $T/review.txt

# Every inspector killed while idle: the front sees each socket close and starts a fresh one
# (paced, at most one start a second each); uploads meanwhile wait for it, none is lost.
idle=$(inspectors)
for p in $idle; do kill -KILL $p; done
printf 'Access review, third quarter: no findings.\n' >$T/review2.txt
check_eq "with every idle inspector killed, the next upload is still accepted" \
	"$(iput alpha evidence review2.txt $T/review2.txt $T/r4.json)" 201
check "its receipt verifies" goverify receipt $VKEY $T/r4.json $T/review2.txt
check "fresh inspectors take the place of the idle ones" wait_inspectors $WORKERS
for p in $idle; do
	check "the idle inspector $p is reaped (no zombie)" [ ! -e /proc/$p ]
done
check "the daemon is still running" it_alive

# queued: with the inspectors stopped, six small files of one Party, one after the other
# recvq: the largest receive queue (bytes) of the inspectors' sockets
recvq() {
	local p
	for p in $(inspectors); do ss -xpn 2>/dev/null | awk -v p="pid=$p," 'index($0, p) {print $3}'; done |
		sort -n | tail -n 1
}
# pending N: up to 10 s for N uploads in the pipeline
pending_are() { [ "$(metric intake_pipeline_pending)" = "$1" ]; }
pending() { within10 pending_are "$1"; }
QUEUED=4                                # PIPELINE_QUEUE_DEPTH: small files sent behind one
queued_run() {   # queued_run TAG: uploads TAG-1 .. TAG-6 with the inspectors stopped
	local i q
	stopped=$(inspectors)
	for p in $stopped; do kill -STOP $p; done
	qpids= queues=
	for i in $(seq $((QUEUED + 2))); do
		printf 'Queued evidence %s, number %d.\n' $1 $i >$T/$1-$i.txt
		iput alpha evidence $1-$i.txt $T/$1-$i.txt $T/$1-$i.json >$T/$1-$i.code &
		qpids="$qpids $!"
		pending $i
		q=$(recvq)
		queues="$queues ${q:-0}"
	done
	check "small files of the Party queue behind the first at its inspector, $QUEUED at most (receive queues:$queues bytes)" \
		$PY -c 'import sys
q = [int(x) for x in sys.argv[2:]]; n = int(sys.argv[1])
sys.exit(not (q[0] > 0 and q[:n + 1] == [q[0] * (k + 1) for k in range(n + 1)] and q[n + 1] == q[n]))' $QUEUED $queues
}
# indices TAG: the indices of TAG-2 .. TAG-6's receipts, in upload order
indices() {
	local i
	for i in $(seq 2 $((QUEUED + 2))); do jget $T/$1-$i.json index; done | tr '\n' ' '
}
ascending() { $PY -c 'import sys; l = [int(x) for x in sys.argv[1:]]; sys.exit(not (len(l) > 1 and l == sorted(set(l))))' "$@"; }
queued_run go
for p in $stopped; do kill -CONT $p; done
wait $qpids
check_eq "let go, all six are accepted" "$(cat $T/go-?.code | tr -d '\n')" 201201201201201201
check "the last one's receipt verifies" goverify receipt $VKEY $T/go-6.json $T/go-6.txt
queued_run kill
for p in $stopped; do kill -KILL $p; done
wait $qpids
check_eq "its inspector killed, the first is rejected" "$(cat $T/kill-1.code)" 422
check "its finding is inspect-crashed" grep -q '"inspect-crashed"' $T/kill-1.json
check_eq "the queued ones and the one waiting are inspected by the replacement and accepted" \
	"$(cat $T/kill-[2-6].code | tr -d '\n')" 201201201201201
check "recorded in the order they came (indices $(indices kill))" ascending $(indices kill)
check "the queued one's receipt verifies" goverify receipt $VKEY $T/kill-2.json $T/kill-2.txt
check "fresh inspectors take the place of the killed ones" wait_inspectors $WORKERS
check "the daemon is still running" it_alive

last=$(inspectors)
it_stop
for p in $last; do
	check "inspector $p ended with the daemon" [ ! -e /proc/$p ]
done
summary
