#!/bin/bash
# tests/integration/privsep.sh: the daemon is separate processes (issue 15), checked from
# outside against the real daemon on loopback.
#
# Four kinds of process in the daemon's group, by /proc/PID/comm: intaked (the parent),
# intaked-front, intaked-notary, intaked-inspect. Run as root, the children are not root and
# have no_new_privs; the front and the inspectors run under seccomp. The log key's 32-byte
# seed is in the notary's memory and in no other process's (/proc/PID/mem, as root). A
# notary or a front killed with SIGKILL brings the daemon down with a non-zero status and a
# log line; started again, it recovers and every receipt answered before still verifies
# (Go, against the new checkpoint), and uploads go on.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# procs: "PID COMM" of every process of the daemon's group
procs() {
	local p
	for p in $(pgrep -g "$DPID"); do printf '%s %s\n' "$p" "$(cat /proc/$p/comm 2>/dev/null)"; done
}
pid_of() { procs | awk -v n="$1" '$2 == n {print $1}'; }
status_of() { awk -v k="$2:" '$1 == k {print $2}' /proc/$1/status 2>/dev/null; }
# receipts_verify N...: GET each index's receipt now; Go verifies it against today's checkpoint
receipts_verify() {
	local i
	for i in "$@"; do
		[ "$(iget audit /v1/receipts/$i $T/now$i.json)" = 200 ] || return 1
		goverify receipt $VKEY $T/now$i.json >/dev/null || return 1
	done
}

it_start ps
for n in intaked-front intaked-notary intaked-inspect; do
	check "a process named $n in the daemon's group" [ -n "$(pid_of $n)" ]
done
check_eq "the parent is named intaked" "$(cat /proc/$DPID/comm)" intaked
FRONT=$(pid_of intaked-front | head -1)
NOTARY=$(pid_of intaked-notary | head -1)
for p in $FRONT $NOTARY $(pid_of intaked-inspect); do
	n=$(cat /proc/$p/comm)
	check "$n ($p) has no_new_privs" [ "$(status_of $p NoNewPrivs)" = 1 ]
	[ "$(id -u)" = 0 ] && check "$n ($p) runs as intaked" [ "$(status_of $p Uid)" = "$(id -u intaked)" ]
done
for p in $FRONT $(pid_of intaked-inspect); do
	check "$(cat /proc/$p/comm) ($p) runs under seccomp" [ "$(status_of $p Seccomp)" = 2 ]
done
check "the notary does not run under the front's filter" [ "$(status_of $NOTARY Seccomp)" = 0 ]

mkpdf $T/a.pdf
check_eq "a PDF through the processes -> 201" "$(iput alpha evidence a.pdf $T/a.pdf $T/a.json)" 201
check "its receipt verifies" goverify receipt $VKEY $T/a.json $T/a.pdf

if [ "$(id -u)" = 0 ]; then
	$PY - "$RUN/log.key" $(procs | tr ' ' ':') >$T/keyscan 2>&1 <<-'PY'
	import base64, re, sys
	# PRIVATE+KEY+<name>+<hex id>+<base64(0x01||seed)>: base64 may itself hold '+'
	seed = base64.b64decode(open(sys.argv[1]).read().strip().split("+", 4)[4])[1:]
	assert len(seed) == 32
	for pc in sys.argv[2:]:
	    pid, comm = pc.split(":", 1)
	    found = False
	    try:
	        maps = open(f"/proc/{pid}/maps").read().splitlines()
	        mem = open(f"/proc/{pid}/mem", "rb", 0)
	    except OSError:
	        continue
	    for line in maps:
	        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) ", line)
	        if not m or "[vvar" in line or "[vsyscall" in line:
	            continue
	        lo, hi = int(m.group(1), 16), int(m.group(2), 16)
	        if hi - lo > (1 << 30):
	            continue
	        try:
	            mem.seek(lo)
	            if seed in mem.read(hi - lo):
	                found = True
	                break
	        except (OSError, ValueError, OverflowError):
	            continue
	    print(comm, pid, "key" if found else "-")
	PY
	note "$(tr '\n' ' ' <$T/keyscan)"
	check "the log key's seed is in the notary's memory" grep -q '^intaked-notary .* key$' $T/keyscan
	check "the log key's seed is in no other process's memory" \
		bash -c '! grep " key$" "$1" | grep -qv "^intaked-notary "' _ $T/keyscan
fi

# ---------------------------------------------------------------- a notary killed
off=$(log_size)
kill -KILL $NOTARY
DEXIT=0; it_down_within 30; rc=$?
check "a killed notary brings the daemon down" [ $rc = 0 ]
check "the daemon's status is not 0 (got $DEXIT)" [ "$DEXIT" != 0 ]
check "the parent logs why" grep -q 'intaked-notary ([0-9]*) ended by signal 9: stopping the daemon' "$RUN/daemon.log"
check "no process of the daemon is left" [ -z "$(pgrep -f "$RUN/intaked.conf")" ]
it_launch || bail "intaked did not come back: $(tail -n 2 "$RUN/daemon.log")"
check "after a restart the receipt answered before verifies" receipts_verify 0
check_eq "and an upload is accepted" "$(iput alpha evidence a2.pdf $T/a.pdf $T/a2.json)" 201

# ---------------------------------------------------------------- a front killed
kill -KILL $(pid_of intaked-front)
DEXIT=0; it_down_within 30; rc=$?
check "a killed front brings the daemon down" [ $rc = 0 ]
check "the daemon's status is not 0 (got $DEXIT)" [ "$DEXIT" != 0 ]
check "the parent logs why" grep -q 'intaked-front ([0-9]*) ended by signal 9: stopping the daemon' "$RUN/daemon.log"
check "no process of the daemon is left" [ -z "$(pgrep -f "$RUN/intaked.conf")" ]
it_launch || bail "intaked did not come back: $(tail -n 2 "$RUN/daemon.log")"
check "after a restart both receipts answered before verify" receipts_verify 0 1
check_eq "and an upload is accepted" "$(iput alpha evidence a3.pdf $T/a.pdf $T/a3.json)" 201
it_stop
summary
