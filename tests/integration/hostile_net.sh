#!/bin/bash
# tests/integration/hostile_net.sh: the network holes of issue 14, each attack replayed against the
# real daemon on loopback.
#
# GET with Connection: Upgrade gets one answer, and the connection goes on as HTTP. A Party
# pipelining thousands of large GETs without reading grows the daemon by less than 64 MiB while
# other Parties are answered within 1 s. A body trickling a byte at a time (never idle for
# body_timeout) is closed by body_min_rate after its grace; a slow but honest upload is not.
# 1030 TCP connections that never send a byte (from other 127/8 addresses) leave a real Party's
# request answered 200 within 3 s and its open connection untouched; the oldest handshakes are
# the ones closed, and one address holds at most max_handshakes_address. After SIGHUP with a CRL
# revoking BETA, BETA's open keep-alive connection gets no further 2xx, its upload in flight is
# not recorded, and ALPHA's connection goes on. Content-Length 2^64-1 gets 413, not 429; a
# request refused as 400/411/413 costs no upload token. Every wait and loop is bounded.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HANDSHAKE_T=30                          # handshake_timeout: longer than the flood checks take
HEADER_T=30                             # header_timeout (keep-alive idle): longer than a reload takes
BODY_T=3                                # body_timeout, the grace of body_min_rate (s)
MIN_RATE=500                            # body_min_rate (bytes/s, the default)
MARGIN=3                                # seconds allowed past a deadline for the close to show
PIPELINED=4000                          # pipelined GET /v1/receipts?limit=1000 on one connection
RECEIPTS=150                            # receipts in the log, so that each answer is large
RSS_MAX_KIB=$((64 * 1024))              # growth allowed to the daemon under the pipelined GETs
OTHER_MAX=1                             # seconds another Party's request may take meanwhile
FLOOD=1030                              # idle TCP connections (the issue's count)
PER_ADDR=32                             # of them per source address (under the per-address cap)
HS_MAX=256                              # max_handshakes (the default)
HS_ADDR=64                              # max_handshakes_address (the default)
ONE_ADDR=100                            # connections from one address for the per-address cap
PARTY_MAX=3                             # seconds the real Party's request may take under the flood
PER_MINUTE=3                            # uploads_per_minute of the second daemon

# A sanitizer build keeps freed memory in quarantine (256 MiB by default), which the RSS bound
# would count: a small quarantine still catches use after free of the answers.
it_asan && export ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=16"

BG=""                                   # pids of background clients, killed on exit
hn_cleanup() {
	local rc=$? p
	for p in $BG; do kill -KILL $p 2>/dev/null; done
	(exit $rc)
	it_cleanup
}
trap hn_cleanup EXIT


not_2xx() { [[ $1 =~ ^(none|[013-9][0-9][0-9])$ ]] || { echo "answered '$1'"; return 1; }; }
within() { awk -v x="$1" -v l="$2" 'BEGIN { exit !(x != "" && x + 0 <= l + 0) }'; }
atleast() { awk -v x="$1" -v l="$2" 'BEGIN { exit !(x != "" && x + 0 >= l + 0) }'; }
export -f within atleast
logoff() { stat -c %s "$RUN/daemon.log"; }
log_since() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		tail -c +$(($1 + 1)) "$RUN/daemon.log" | grep -qE "$2" && return 0
		sleep 0.1
	done
	return 1
}

# The raw clients (python3), one subcommand per attack; each prints one line.
cat >$T/hn.py <<-'PY'
import os, resource, select, socket, ssl, sys, threading, time
port, pki, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3]
args = sys.argv[4:]

def ctx_of(cert):
    c = ssl.create_default_context(cafile=pki + "/ca.crt")
    c.load_cert_chain(pki + "/" + cert + ".crt", pki + "/" + cert + ".key")
    return c

def tls(cert, timeout=10):
    return ctx_of(cert).wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=timeout),
                                    server_hostname="localhost")

def read_for(s, limit, until=None):
    """Reads for LIMIT seconds, until EOF/error, or until UNTIL(buf) is true."""
    end, buf = time.time() + limit, b""
    while time.time() < end and not (until and until(buf)):
        s.settimeout(max(0.05, end - time.time()))
        try:
            d = s.recv(65536)
        except (socket.timeout, ssl.SSLWantReadError):
            continue
        except OSError:
            break
        if not d:
            break
        buf += d
    return buf

def statuses(buf):
    """The statuses of the answers in BUF, each head followed by its Content-Length body."""
    out = []
    while buf.startswith(b"HTTP/1.1 ") and b"\r\n\r\n" in buf:
        head, _, buf = buf.partition(b"\r\n\r\n")
        out.append(head.split(b" ")[1].decode())
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                buf = buf[int(line.split(b":", 1)[1]):]
    return out

def head_status(buf):
    f = buf.split(b" ")
    return f[1].decode() if len(f) > 1 and buf.startswith(b"HTTP/1.") else "none"

def status(s, limit):
    """The status of the next answer (its head only), or 'none'."""
    buf = read_for(s, limit, lambda b: b"\r\n\r\n" in b)
    return head_status(buf)

def request(s, r, limit=10):
    """Sends R, reads one complete answer (head and Content-Length body): its status or 'none'."""
    try:
        s.sendall(r)
    except OSError:
        return "none"
    buf = read_for(s, limit, lambda b: b"\r\n\r\n" in b)
    head, _, rest = buf.partition(b"\r\n\r\n")
    n = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            n = int(line.split(b":", 1)[1])
    if len(rest) < n:
        rest += read_for(s, limit, lambda b: len(rest) + len(b) >= n)
    return head_status(head)

GET = b"GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n"
PUT = "PUT /v1/submissions/evidence/%s HTTP/1.1\r\nHost: localhost\r\n%s\r\n"

def wait_file(path, limit):
    end = time.time() + limit
    while not os.path.exists(path) and time.time() < end:
        time.sleep(0.05)

def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0

def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]

if cmd == "upgrade":        # GET with Connection: Upgrade, then a plain GET: every status answered
    s = tls(args[0])
    s.sendall(b"GET /v1/log/checkpoint HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\n"
              b"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
              + GET % b"/v1/log/checkpoint")
    print(" ".join(statuses(read_for(s, 3))) or "none")
elif cmd == "pipeline":     # N pipelined large GETs, never read: "RSS-GROWTH-KIB SLOWEST-OTHER-SECONDS"
    pid, n, cert, other = int(args[0]), int(args[1]), args[2], args[3]
    base = rss_kib(pid)
    s = tls(cert)
    s.settimeout(0.2)
    data = GET % b"/v1/receipts?limit=1000" * n
    sent, peak, slowest, t0 = 0, base, 0.0, time.time()
    probe = t0 + 1
    while time.time() - t0 < 8:                     # send what the daemon takes, for 8 s
        if sent < len(data):
            try:
                sent += s.send(data[sent:sent + 65536])
            except (socket.timeout, ssl.SSLWantWriteError):
                pass
        peak = max(peak, rss_kib(pid))
        if time.time() >= probe:                    # another Party, once a second
            probe = time.time() + 1
            t1 = time.time()
            try:
                o = tls(other, 10)
                st = request(o, GET % b"/v1/log/checkpoint", 10)
                o.close()
            except OSError:
                st = "none"
            d = time.time() - t1 if st == "200" else 99.0
            slowest = max(slowest, d)
        time.sleep(0.05)
    peak = max(peak, rss_kib(pid))
    print(peak - base, "%.2f" % slowest, sent // len(GET % b"/v1/receipts?limit=1000"))
elif cmd == "trickle":      # Content-Length 100000, a byte every half second: "STATUS SECONDS-UNTIL-CLOSED"
    limit = float(args[1])
    s = tls(args[0])
    s.sendall((PUT % ("trickle.txt", "Content-Length: 100000\r\n")).encode())
    s.setblocking(False)    # a TLS 1.3 session ticket makes the socket readable without data
    t0, buf, closed = time.time(), b"", False
    while time.time() - t0 < limit and not closed:
        try:
            s.send(b"t")
        except ssl.SSLWantWriteError:
            pass
        except OSError:
            break
        r, _, _ = select.select([s], [], [], 0.5)
        if r:
            try:
                d = s.recv(4096)
            except (ssl.SSLWantReadError, BlockingIOError):
                d = b"-"
            except OSError:
                d = b""
            if not d:
                closed = True
            elif d != b"-":
                buf += d
    print(head_status(buf), "%.2f" % (time.time() - t0) if closed or time.time() - t0 < limit else "-1")
elif cmd == "put":          # a PUT with these extra header lines and no body: the status
    s = tls(args[0])
    print(request(s, (PUT % (args[1], "".join(h + "\r\n" for h in args[2:]))).encode()))
elif cmd == "flood":        # "N PER FIRST READY GO CERT": idle TCP connections from other addresses
    n, per, first, ready, go, cert = int(args[0]), int(args[1]), args[2], args[3], args[4], args[5]
    have = raise_nofile(n + 200)
    if have < n + 100:
        print("nofile", have)
        sys.exit(0)
    a, b, c, d0 = (int(x) for x in first.split("."))
    auth = tls(cert)                                 # an authenticated Party, idle meanwhile
    before = request(auth, GET % b"/v1/log/checkpoint")
    socks, refused = [], 0
    for i in range(n):
        t = socket.socket()
        t.bind(("%d.%d.%d.%d" % (a, b, c + (d0 + i // per) // 250, 1 + (d0 + i // per) % 250), 0))
        t.settimeout(5)
        try:
            t.connect(("127.0.0.1", port))
        except OSError:
            refused += 1
            t.close()
            t = None
        socks.append(t)
    open(ready, "w").close()
    wait_file(go, 30)
    p = select.poll()
    for i, t in enumerate(socks):
        if t is not None:
            p.register(t.fileno(), select.POLLIN | select.POLLHUP | select.POLLERR)
    readable = {fd for fd, _ in p.poll(200)}
    alive = []
    for i, t in enumerate(socks):
        if t is None:
            continue
        if t.fileno() in readable:
            try:
                if t.recv(1, socket.MSG_DONTWAIT) == b"":
                    continue
            except BlockingIOError:
                pass
            except OSError:
                continue
        alive.append(i)
    after = request(auth, GET % b"/v1/log/checkpoint")
    for t in socks:
        if t is not None:
            t.close()
    # the survivors are the newest: every connection opened after the first survivor of its
    # address survived too
    firsts = {}
    for i in alive:
        firsts.setdefault(i // per, i)
    newest = all(i in set(alive) for g, f in firsts.items() for i in range(f, min((g + 1) * per, n)))
    print(len(alive), "newest" if newest else "not-newest", before, after, refused)
elif cmd == "revoke":       # "READY GO": BETA idle + BETA mid-upload + ALPHA idle, across a reload
    ready, go = args[0], args[1]
    idle = tls("beta", 20)
    s1 = request(idle, GET % b"/v1/log/checkpoint")
    up = tls("beta", 20)
    up.sendall((PUT % ("inflight.txt", "Content-Length: 100000\r\n")).encode() + b"u" * 20000)
    other = tls("alpha", 20)
    s2 = request(other, GET % b"/v1/log/checkpoint")
    open(ready, "w").close()
    wait_file(go, 30)
    a = request(idle, GET % b"/v1/log/checkpoint", 5)
    try:
        up.sendall(b"u" * 80000)
    except OSError:
        pass
    b = status(up, 5)
    c = request(other, GET % b"/v1/log/checkpoint", 5)
    print(s1, s2, a, b, c)
PY
raw() { $PY $T/hn.py $PORT $PKI "$@"; }

it_start_limits net handshake_timeout=$HANDSHAKE_T header_timeout=$HEADER_T body_timeout=$BODY_T body_min_rate=$MIN_RATE \
	max_handshakes=$HS_MAX max_handshakes_address=$HS_ADDR

# ================================================================ Upgrade
check_eq "GET with Connection: Upgrade, then a GET: one answer each, no 400" \
	"$(raw upgrade audit)" "200 200"

# ================================================================ pipelined GETs
n=$(bulk_put secas evidence $RECEIPTS 4 pipe)
check_eq "$RECEIPTS receipts in the log for large list answers" "$n" $RECEIPTS
iget audit "/v1/receipts?limit=1000" $T/list.json >/dev/null
note "one answer to GET /v1/receipts?limit=1000: $(stat -c %s $T/list.json) bytes"
read -r growth slowest taken <<<"$(raw pipeline $(it_front) $PIPELINED audit alpha)"
note "pipelined GETs: daemon RSS grew ${growth} KiB; $taken of $PIPELINED requests sent; slowest other request ${slowest}s"
check "$PIPELINED pipelined GETs never read: RSS growth ${growth} KiB < $RSS_MAX_KIB KiB" \
	bash -c '[ -n "$1" ] && [ "$1" -lt "$2" ]' _ "$growth" $RSS_MAX_KIB
check "meanwhile another Party is answered within ${OTHER_MAX}s (slowest ${slowest}s)" within "$slowest" $OTHER_MAX
check "daemon alive after the pipelined GETs" it_alive

# ================================================================ body minimum rate
S0=$(log_size)
off=$(logoff)
read -r st t <<<"$(raw trickle secas $((BODY_T + 20)))"
check "body trickling 2 B/s: closed by body_min_rate after the ${BODY_T}s grace (+${MARGIN}s) (after ${t}s)" \
	bash -c 'within "$1" "$2" && atleast "$1" "$3"' _ "$t" $((BODY_T + MARGIN)) $((BODY_T - 1))
check "trickled body: no 2xx (got $st)" not_2xx "$st"
check "trickled body: the daemon names body_min_rate" log_since $off 'under body_min_rate' 5
check "trickled body: quarantine empty" quarantine_empty
check_eq "trickled body: not logged" "$(log_size)" "$S0"
randtext 24000 >$T/slow.txt
t0=$(date +%s.%N)
code=$(iput secas evidence slow.txt $T/slow.txt $T/slow.json --limit-rate 4K)
t=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
check_eq "an honest upload at 4 KB/s, longer than the grace (${t}s) -> 201" "$code" 201

# ================================================================ idle TCP connections
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
note "open files: shell $(ulimit -n), front $(awk '/Max open files/ {print $4}' /proc/$(it_front)/limits)"
# One address beyond max_handshakes_address: its oldest are closed.
rm -f $T/f1.ready $T/f1.go
raw flood $ONE_ADDR $ONE_ADDR 127.0.2.0 $T/f1.ready $T/f1.go beta >$T/f1.out 2>&1 &
f1=$!
BG="$BG $f1"
for ((i = 0; i < 300; i++)); do [ -e $T/f1.ready ] || ! kill -0 $f1 2>/dev/null && break; sleep 0.1; done
sleep 1
touch $T/f1.go
wait $f1
read -r alive newest before after refused <$T/f1.out
note "one address, $ONE_ADDR idle connections: $(cat $T/f1.out)"
check_eq "one address holds max_handshakes_address ($HS_ADDR) handshakes" "$alive" $HS_ADDR
check_eq "the ones closed are that address's oldest" "$newest" newest
# The flood: FLOOD idle connections from many addresses; a real Party meanwhile.
rm -f $T/f2.ready $T/f2.go
raw flood $FLOOD $PER_ADDR 127.0.3.0 $T/f2.ready $T/f2.go beta >$T/f2.out 2>&1 &
f2=$!
BG="$BG $f2"
for ((i = 0; i < 600; i++)); do [ -e $T/f2.ready ] || ! kill -0 $f2 2>/dev/null && break; sleep 0.1; done
check "$FLOOD idle TCP connections opened" test -e $T/f2.ready
sleep 1
read -r code tt <<<"$(icurl alpha -o /dev/null -w '%{http_code} %{time_total}' --max-time 10 \
	"https://localhost:$PORT/v1/log/checkpoint")"
check_eq "a real Party beside $FLOOD idle TCP connections -> 200" "$code" 200
check "... within ${PARTY_MAX}s (took ${tt}s)" within "$tt" $PARTY_MAX
hs=$(metric intake_tls_handshakes)
note "handshakes in progress $hs, closed for newer ones $(metric intake_tls_handshakes_evicted_total)"
check "/metrics: handshakes in progress within max_handshakes $HS_MAX (got '$hs')" \
	bash -c '[ -n "$1" ] && [ "$1" -le "$2" ]' _ "$hs" $HS_MAX
touch $T/f2.go
wait $f2
for ((i = 0; i < 50; i++)); do [ "$(metric intake_tls_handshakes)" = 0 ] && break; sleep 0.1; done
check_eq "/metrics: no handshake in progress once the flood is gone" "$(metric intake_tls_handshakes)" 0
read -r alive newest before after refused <$T/f2.out
note "flood: $(cat $T/f2.out)"
check "handshakes in progress stay within max_handshakes $HS_MAX (alive: $alive)" \
	bash -c '[ -n "$1" ] && [ "$1" -le "$2" ]' _ "$alive" $HS_MAX
check_eq "the handshakes closed were the oldest" "$newest" newest
check_eq "an authenticated connection opened before the flood is still answered" "$before $after" "200 200"
check "daemon alive after the flood" it_alive

# ================================================================ revocation across SIGHUP
S0=$(log_size)
rm -f $T/rv.ready $T/rv.go
raw revoke $T/rv.ready $T/rv.go >$T/rv.out 2>&1 &
rv=$!
BG="$BG $rv"
for ((i = 0; i < 200; i++)); do [ -e $T/rv.ready ] || ! kill -0 $rv 2>/dev/null && break; sleep 0.1; done
if mkcrl $T/ca.crl.beta revoked beta; then
	cp $T/ca.crl.beta $RUN/ca.crl
	off=$(logoff)
	kill -HUP $DPID
	check "SIGHUP with a CRL revoking BETA: reloaded" log_since $off 'reloaded policy, parties' 5
	touch $T/rv.go
	wait $rv
	read -r s1 s2 a b c <$T/rv.out
	note "revoke: $(cat $T/rv.out)"
	check_eq "before the reload BETA's and ALPHA's connections are answered" "$s1 $s2" "200 200"
	check "BETA's keep-alive connection from before the reload: no further 2xx (got $a)" not_2xx "$a"
	check "BETA's upload in flight across the reload: no 2xx (got $b)" not_2xx "$b"
	check_eq "ALPHA's connection from before the reload goes on" "$c" 200
	check "the daemon logs the connections it closed" log_since $off 'since the reload' 5
	check_eq "BETA's upload in flight is not logged" "$(log_size)" "$S0"
	check "quarantine empty after the revocation" quarantine_empty
	check_eq "BETA's new handshake is refused" "$(iget beta /v1/log/checkpoint /dev/null)" 000
else
	check "a CRL revoking BETA could be made with openssl ca" false
fi
it_stop

# ================================================================ validation before limits
it_start_limits lim uploads_per_minute=$PER_MINUTE bytes_per_day=1M
S0=$(log_size)
check_eq "Content-Length 2^64-1 -> 413, not a daily-volume 429" \
	"$(raw put alpha huge.txt 'Content-Length: 18446744073709551615')" 413
check_eq "a PUT without Content-Length or chunking -> 411" "$(raw put alpha nolen.txt)" 411
check_eq "a PUT over max_upload -> 413" "$(raw put alpha big.txt 'Content-Length: 99999999999999')" 413
check_eq "a PUT with a bad filename -> 400" "$(raw put alpha .hidden 'Content-Length: 5')" 400
printf 'rate\n' >$T/rate.txt
for i in $(seq 1 $PER_MINUTE); do
	check_eq "upload $i of $PER_MINUTE a minute after those refusals -> 201" \
		"$(iput alpha evidence rate$i.txt $T/rate.txt /dev/null)" 201
done
check_eq "upload $((PER_MINUTE + 1)) within the minute -> 429" \
	"$(iput alpha evidence over.txt $T/rate.txt /dev/null)" 429
check_eq "only the uploads are logged" "$(log_size)" $((S0 + PER_MINUTE))
it_stop

summary
