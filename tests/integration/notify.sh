#!/bin/bash
# tests/integration/notify.sh: systemd's Type=notify protocol, with a NOTIFY_SOCKET of the
# test's own (a datagram socket as systemd makes). The daemon says READY=1 once its listener
# answers (never before), RELOADING=1 and then READY=1 around a SIGHUP, STOPPING=1 at SIGTERM;
# without NOTIFY_SOCKET every other test runs it, so that path is covered there.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LISTEN=60                               # seconds the listener keeps collecting, at most

# the socket must exist before the daemon starts; it records each datagram on a line of its own
export NOTIFY_SOCKET=$T/notify.sock
$PY - "$NOTIFY_SOCKET" "$T/notify.log" "$LISTEN" <<'PY' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)  # as systemd's: the front sends as the unprivileged user
s.settimeout(0.2)
end = time.time() + float(sys.argv[3])
with open(sys.argv[2], "a", buffering=1) as log:
    print("listening", file=log)
    while time.time() < end:
        try:
            msg = s.recv(4096).decode()
        except socket.timeout:
            continue
        print(msg.replace("\n", "|"), file=log)
PY
LPID=$!
nt_cleanup() {
	local rc=$?
	kill $LPID 2>/dev/null
	(exit $rc)
	it_cleanup
}
trap nt_cleanup EXIT
for i in $(seq 1 50); do grep -q listening $T/notify.log 2>/dev/null && break; sleep 0.1; done

# wait_line PATTERN: the notify log gets a line matching PATTERN within 20 s
wait_line() {
	local i
	for i in $(seq 1 200); do
		grep -qE "$1" $T/notify.log && return 0
		sleep 0.1
	done
	return 1
}

it_start notify
check "READY=1 arrives" wait_line '^READY=1'
check "READY=1 is the first message, and comes once" \
	bash -c '[ "$(sed -n 2p "$1" | cut -d"|" -f1)" = READY=1 ] && [ "$(grep -c "^READY=1" "$1")" = 1 ]' _ $T/notify.log
check_eq "the daemon answers once READY=1 is sent" "$(iget audit /v1/log/checkpoint /dev/null)" 200

kill -HUP $DPID
check "SIGHUP: RELOADING=1" wait_line '^RELOADING=1'
check "then READY=1 again once reloaded" bash -c 'for i in $(seq 1 200); do
	[ "$(grep -c "^READY=1" "$1")" -ge 2 ] && exit 0; sleep 0.1; done; exit 1' _ $T/notify.log
check "RELOADING=1 comes before the second READY=1" \
	bash -c '[ "$(grep -nE "^(RELOADING|READY)=1" "$1" | sed -n 2p | cut -d: -f2 | cut -d"|" -f1)" = RELOADING=1 ]' _ $T/notify.log

it_stop
check "SIGTERM: STOPPING=1" wait_line '^STOPPING=1'
summary
