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
# replaced too and the next upload is accepted. One Party's small files queue at an inspector
# busy with its small file (with the inspectors stopped, the second request lies in the same
# socket as the first: ss shows its receive queue double): let go, both are accepted; the
# inspector killed instead, the current one is rejected `inspect-crashed` and the queued one
# is inspected by the replacement and accepted. SIGTERM ends and reaps them all.
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

# queued: with the inspectors stopped, two small files of one Party
# recvq: the largest receive queue (bytes) of the inspectors' sockets
recvq() {
	local p
	for p in $(inspectors); do ss -xpn 2>/dev/null | awk -v p="pid=$p," 'index($0, p) {print $3}'; done |
		sort -n | tail -n 1
}
# pending N: up to 10 s for N uploads in the pipeline
pending_are() { [ "$(metric intake_pipeline_pending)" = "$1" ]; }
pending() { within10 pending_are "$1"; }
queued_pair() {   # queued_pair TAG: uploads TAG-a and TAG-b with the inspectors stopped
	stopped=$(inspectors)
	for p in $stopped; do kill -STOP $p; done
	printf 'Queued evidence %s, first.\n' $1 >$T/$1-a.txt
	printf 'Queued evidence %s, second.\n' $1 >$T/$1-b.txt
	iput alpha evidence $1-a.txt $T/$1-a.txt $T/$1-a.json >$T/$1-a.code &
	qa=$!
	pending 1
	one=$(recvq)
	iput alpha evidence $1-b.txt $T/$1-b.txt $T/$1-b.json >$T/$1-b.code &
	qb=$!
	pending 2
	two=$(recvq)
	check "a small file of the Party is queued at the inspector busy with its first (receive queue $one, then $two bytes)" \
		bash -c '[ "$1" -gt 0 ] && [ "$2" = $(($1 * 2)) ]' _ "${one:-0}" "${two:-0}"
}
queued_pair go
for p in $stopped; do kill -CONT $p; done
wait $qa $qb
check_eq "let go, the first is accepted" "$(cat $T/go-a.code)" 201
check_eq "and the queued one too" "$(cat $T/go-b.code)" 201
check "its receipt verifies" goverify receipt $VKEY $T/go-b.json $T/go-b.txt
queued_pair kill
for p in $stopped; do kill -KILL $p; done
wait $qa $qb
check_eq "its inspector killed, the first is rejected" "$(cat $T/kill-a.code)" 422
check "its finding is inspect-crashed" grep -q '"inspect-crashed"' $T/kill-a.json
check_eq "the queued one is inspected by the replacement and accepted" "$(cat $T/kill-b.code)" 201
check "its receipt verifies" goverify receipt $VKEY $T/kill-b.json $T/kill-b.txt
check "fresh inspectors take the place of the killed ones" wait_inspectors $WORKERS
check "the daemon is still running" it_alive

last=$(inspectors)
it_stop
for p in $last; do
	check "inspector $p ended with the daemon" [ ! -e /proc/$p ]
done
summary
