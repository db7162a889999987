#!/bin/bash
# tests/integration/robustness.sh: hostile and broken clients, limits and signals (issue 6),
# against the real daemon on loopback.
#
# Partial uploads (curl killed mid-stream, a body shorter than its Content-Length, a chunked
# body cut in the middle, a broken chunk, a body that stalls past body_timeout or dribbles past
# request_timeout) leave the checkpoint unchanged, the quarantine empty and get no 2xx. A silent
# or dribbling TLS client is closed at handshake_timeout; 200 slow-header connections cost no
# thread and little memory, do not delay a normal upload (201 within 5 s) and are closed at
# header_timeout. Header count and size -> 431; max_connections; connections per Party,
# uploads per minute and bytes per day -> 429 with Retry-After, other Parties unaffected.
# RFC 9530 Content-Digest / Repr-Digest (sha-256, sha-512) checked, the claim in the receipt,
# unknown algorithms ignored. TLS session resumption (the resumed session keeps its Party;
# none survives a SIGHUP). SIGHUP with a broken and a changed parties file, with a CRL
# revoking a Party and a broken CRL (open connections and uploads in flight carry on); SIGTERM
# during an upload (answered, exit 0, new connections refused) and past the grace time (cut,
# nothing kept). `intaked -t` naming the file, line and key of a bad setting. Crash and disk
# full: crash.sh, diskfull.sh. Every wait is bounded; background clients are killed by pid.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HANDSHAKE_T=3                           # [limits] handshake_timeout of the first daemon (s)
HEADER_T=5                              # header_timeout (s): longer than opening 200 TLS connections
BODY_T=2                                # body_timeout (s)
REQUEST_T=8                             # request_timeout (s)
MARGIN=2                                # seconds allowed past a timeout for the close to show
SLOW=200                                # slow-header connections
FAST_MAX=5                              # seconds a normal upload may take beside them
HDR_COUNT=20                            # max_header_count
HDR_SIZE=2048                           # max_header_size (bytes)
PARTY_CONNS=3                           # max_connections_party of the limits daemon
PER_MINUTE=5                            # uploads_per_minute of the limits daemon
PER_DAY=1048576                         # bytes_per_day of the limits daemon (1 MiB)
MAX_CONNS=6                             # max_connections of the limits daemon
GRACE=30                                # the SIGTERM grace time of front_drain (s)
CONN_KIB=128                            # memory a slow-header connection may cost the daemon

BG=""                                   # pids of background clients, killed on exit
rb_cleanup() {
	local rc=$? p
	for p in $BG; do kill -KILL $p 2>/dev/null; done
	(exit $rc)
	it_cleanup
}
trap rb_cleanup EXIT


# not_2xx STATUS: a raw client's result: no answer ("none") or a non-2xx status
not_2xx() { [[ $1 =~ ^(none|[013-9][0-9][0-9])$ ]] || { echo "answered '$1'"; return 1; }; }
# log_since OFFSET PATTERN SECONDS: the daemon log gets a line matching PATTERN after OFFSET
log_since() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		tail -c +$(($1 + 1)) "$RUN/daemon.log" | grep -qE "$2" && return 0
		sleep 0.1
	done
	return 1
}
logoff() { stat -c %s "$RUN/daemon.log"; }
# within X LIMIT: X (seconds, decimal) <= LIMIT
within() { awk -v x="$1" -v l="$2" 'BEGIN { exit !(x != "" && x + 0 <= l + 0) }'; }
atleast() { awk -v x="$1" -v l="$2" 'BEGIN { exit !(x != "" && x + 0 >= l + 0) }'; }
export -f within atleast
b64dig() { openssl dgst -"$1" -binary "$2" | base64 -w0; }

# The raw TLS clients (python3 ssl), one subcommand per misbehaviour; each prints one line.
cat >$T/raw.py <<-'PY'
import concurrent.futures, json, os, select, socket, ssl, sys, time
port, pki, cmd, cert = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
args = sys.argv[5:]
ctx = ssl.create_default_context(cafile=pki + "/ca.crt")
ctx.load_cert_chain(pki + "/" + cert + ".crt", pki + "/" + cert + ".key")

def tls(timeout=10):
    return ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=timeout),
                           server_hostname="localhost")

def status(s, limit):
    """Reads until the end of a response head, EOF, an error or LIMIT seconds: the status or 'none'."""
    end, buf = time.time() + limit, b""
    while b"\r\n\r\n" not in buf and time.time() < end:
        s.settimeout(max(0.05, end - time.time()))
        try:
            d = s.recv(4096)
        except (socket.timeout, ssl.SSLWantReadError):
            continue
        except OSError:
            break
        if not d:
            break
        buf += d
    f = buf.split(b" ")
    return (f[1].decode() if len(f) > 1 and buf.startswith(b"HTTP/1.") else "none"), buf

def eof_after(s, limit):
    """Seconds until the peer closes (EOF or reset), reading and keeping what it sends; -1 if not within LIMIT."""
    t0, buf = time.time(), b""
    while time.time() - t0 < limit:
        s.settimeout(max(0.05, limit - (time.time() - t0)))
        try:
            d = s.recv(4096)
        except (socket.timeout, ssl.SSLWantReadError):
            continue
        except OSError:
            return time.time() - t0, buf
        if not d:
            return time.time() - t0, buf
        buf += d
    return -1, buf

def head_status(buf):
    f = buf.split(b" ")
    return f[1].decode() if len(f) > 1 and buf.startswith(b"HTTP/1.") else "none"

def finish(s, how):
    """close: drop the connection; fin: TCP half-close (no close_notify), then read any answer."""
    if how == "close":
        s.close()
        return "none"
    socket.socket.shutdown(s, socket.SHUT_WR)   # below TLS: the SSL object stays usable for reading
    st, _ = status(s, 8)
    s.close()
    return st

PUT = "PUT /v1/submissions/evidence/%s HTTP/1.1\r\nHost: localhost\r\n%s\r\n"
if cmd == "half":           # Content-Length 1000, 500 bytes sent, then close / half-close
    s = tls()
    s.sendall((PUT % ("half.txt", "Content-Length: 1000\r\n")).encode() + b"a" * 500)
    time.sleep(0.3)
    print(finish(s, args[0]))
elif cmd == "chunkcut":     # a 1024-byte chunk announced, 512 bytes of it sent
    s = tls()
    s.sendall((PUT % ("cut.txt", "Transfer-Encoding: chunked\r\n")).encode() +
              b"10\r\n0123456789abcdef\r\n400\r\n" + b"b" * 512)
    time.sleep(0.3)
    print(finish(s, args[0]))
elif cmd == "chunkbad":     # a chunk size that is not hex: the answer's status
    s = tls()
    s.sendall((PUT % ("bad.txt", "Transfer-Encoding: chunked\r\n")).encode() +
              b"10\r\n0123456789abcdef\r\nzz\r\nhello\r\n0\r\n\r\n")
    st, _ = status(s, 8)
    print(st)
elif cmd == "stall":        # 1000 of 100000 bytes, then silence: "STATUS SECONDS-UNTIL-CLOSED"
    s = tls()
    s.sendall((PUT % ("stall.txt", "Content-Length: 100000\r\n")).encode() + b"c" * 1000)
    t, buf = eof_after(s, float(args[0]))
    print(head_status(buf), "%.2f" % t)
elif cmd == "dribble":      # one body byte a second (never idle): "STATUS SECONDS-FROM-FIRST-BYTE"
    s = tls()
    t0 = time.time()
    s.sendall((PUT % ("dribble.txt", "Content-Length: 1000\r\n")).encode())
    s.setblocking(False)        # a TLS 1.3 session ticket makes the socket readable without data
    buf, closed, nxt = b"", -1, t0
    while time.time() - t0 < float(args[0]) and closed < 0:
        if time.time() >= nxt:
            nxt += 1
            try:
                s.send(b"d")
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                pass
            except OSError:
                closed = time.time() - t0
                break
        r, _, _ = select.select([s], [], [], max(0, nxt - time.time()))
        if r:
            try:
                d = s.recv(4096)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                continue
            except OSError:
                d = b""
            if not d:
                closed = time.time() - t0
            buf += d
    print(head_status(buf), "%.2f" % closed)
elif cmd == "nohandshake":  # plain TCP, not a byte sent: seconds until the server closes
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    t, _ = eof_after(s, float(args[0]))
    print("%.2f" % t)
elif cmd == "hsdribble":   # a TLS record header claiming 16 KiB, then a byte a second: seconds until closed
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    t0, closed = time.time(), -1
    s.sendall(b"\x16\x03\x01\x40\x00")
    while time.time() - t0 < float(args[0]):
        r, _, _ = select.select([s], [], [], 1.0)
        try:
            if r and not s.recv(4096):
                closed = time.time() - t0
                break
            s.sendall(b"\x01")
        except OSError:
            closed = time.time() - t0
            break
    print("%.2f" % closed)
elif cmd == "headers":      # GET with N extra headers and one of SIZE bytes: the status
    n, size = int(args[0]), int(args[1])
    h = "".join("X-Extra-%d: v\r\n" % i for i in range(n))
    if size:
        h += "X-Big: " + "x" * size + "\r\n"
    s = tls()
    try:
        s.sendall(("GET /v1/log/checkpoint HTTP/1.1\r\nHost: localhost\r\n%s\r\n" % h).encode())
    except OSError:
        pass
    st, _ = status(s, 8)
    print(st)
elif cmd == "conns":        # N idle connections of CERT, one more asks; then OTHER; then one freed
    n, other = int(args[0]), args[1]
    idle = [tls() for _ in range(n)]
    time.sleep(0.5)
    def get(c):
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                            server_hostname="localhost") if c == cert else c
        s.sendall(b"GET /v1/log/checkpoint HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        st, buf = status(s, 8)
        ra = "-"
        for line in buf.split(b"\r\n"):
            if line.lower().startswith(b"retry-after:"):
                ra = line.split(b":", 1)[1].strip().decode()
        s.close()
        return st, ra
    s1, ra = get(cert)
    octx = ssl.create_default_context(cafile=pki + "/ca.crt")
    octx.load_cert_chain(pki + "/" + other + ".crt", pki + "/" + other + ".key")
    s2, _ = get(octx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                                 server_hostname="localhost"))
    idle.pop().close()
    time.sleep(0.5)
    s3, _ = get(cert)
    for s in idle:
        s.close()
    print(s1, ra, s2, s3)
elif cmd == "total":        # N idle connections of several Parties, one more, then one freed
    n, certs = int(args[0]), args[1].split(",")
    idle = []
    for i in range(n):
        c = ssl.create_default_context(cafile=pki + "/ca.crt")
        c.load_cert_chain(pki + "/" + certs[i % len(certs)] + ".crt", pki + "/" + certs[i % len(certs)] + ".key")
        idle.append(c.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                                  server_hostname="localhost"))
    time.sleep(0.5)
    def attempt():
        try:
            s = tls(5)
            s.sendall(b"GET /v1/log/checkpoint HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            st, _ = status(s, 5)
            s.close()
            return st
        except OSError:
            return "refused"
    a = attempt()
    idle.pop().close()
    time.sleep(0.5)
    b = attempt()
    for s in idle:
        s.close()
    print(a, b)
elif cmd == "keepalive":    # one connection: GET, wait for GO, then PUT and GET on it
    ready, go = args[0], args[1]
    s = tls(20)
    def req(r):
        s.sendall(r)
        st, buf = status(s, 10)
        head, _, rest = buf.partition(b"\r\n\r\n")
        n = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                n = int(line.split(b":", 1)[1])
        while len(rest) < n:             # read the body so the next answer starts clean
            d = s.recv(4096)
            if not d:
                break
            rest += d
        return st
    s1 = req(b"GET /v1/log/checkpoint HTTP/1.1\r\nHost: localhost\r\n\r\n")
    open(ready, "w").close()
    end = time.time() + 20
    while not os.path.exists(go) and time.time() < end:
        time.sleep(0.1)
    body = b"kept-alive connection across SIGHUP\n"
    s2 = req(b"PUT /v1/submissions/evidence/ka.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n"
             % len(body) + body)
    s3 = req(b"GET /v1/log/checkpoint HTTP/1.1\r\nHost: localhost\r\n\r\n")
    print(s1, s2, s3)
elif cmd == "slow":         # N connections dribbling a header line a second (slowloris)
    n, limit, ready = int(args[0]), float(args[1]), args[2]
    socks, first = [], {}
    t_open = time.time()
    def one(i):
        try:
            s = tls()
            s.sendall(b"PUT /v1/submissions/evidence/slow.txt HTTP/1.1\r\n")
        except OSError:
            return None
        first[s] = time.time()
        s.setblocking(False)    # a TLS 1.3 session ticket makes the socket readable without data
        return s
    with concurrent.futures.ThreadPoolExecutor(8) as ex:     # handshakes in parallel
        socks = [s for s in ex.map(one, range(n)) if s is not None]
    t0 = time.time()
    open(ready, "w").close()
    opened, closed, answers = len(socks), {}, {}
    nxt = time.time() + 1
    while socks and time.time() - t0 < limit:
        r, _, _ = select.select(socks, [], [], max(0, nxt - time.time()))
        for s in r:
            try:
                d = s.recv(4096)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                continue
            except OSError:
                d = b""
            if d:
                answers[head_status(d)] = answers.get(head_status(d), 0) + 1
                continue
            closed[s] = time.time()
            socks.remove(s)
        if time.time() >= nxt:
            nxt += 1
            for s in list(socks):
                try:
                    s.send(b"X-Dribble: x\r\n")
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    pass
                except OSError:
                    closed[s] = time.time()
                    socks.remove(s)
    after = [closed[s] - first[s] for s in closed]
    print(json.dumps({"opened": opened, "open_secs": round(t0 - t_open, 2), "closed": len(closed),
                      "first": round(min(after, default=0), 2), "last": round(max(after, default=0), 2),
                      "closes": sorted(closed.values()), "answers": answers}))
PY
raw() { timeout 60 $PY $T/raw.py $PORT $PKI "$@"; }

# ================================================================ partial uploads
# body_min_rate = 0: the dribbling body below is for request_timeout alone (the minimum rate
# would close it first: hostile_net.sh tests that).
it_start_limits rb handshake_timeout=$HANDSHAKE_T header_timeout=$HEADER_T body_timeout=$BODY_T \
	request_timeout=$REQUEST_T max_header_count=$HDR_COUNT max_header_size=$HDR_SIZE body_min_rate=0
S0=$(log_size)
check "the log starts empty and its checkpoint verifies (size $S0)" [ "$S0" = 0 ]

randtext 27000000 >$T/big.txt                                  # 27 MB of text
# curl itself in the background (not a function's subshell), so that kill reaches it
curl -s --max-time 60 --resolve "localhost:$PORT:127.0.0.1" --cacert $PKI/ca.crt --cert $PKI/alpha.crt \
	--key $PKI/alpha.key --limit-rate 1M -T $T/big.txt -o $T/killed.json \
	"https://localhost:$PORT/v1/submissions/evidence/big.txt" &
cpid=$!
sleep 2
kill -KILL $cpid 2>/dev/null
wait $cpid 2>/dev/null
check "curl killed mid-stream: the daemon saw the upload abort" \
	grep -qE 'upload from .* aborted: connection closed after [1-9][0-9]* bytes' $RUN/daemon.log
check "curl killed mid-stream: quarantine empty" quarantine_empty
check_eq "curl killed mid-stream: checkpoint unchanged" "$(log_size)" "$S0"
check "curl killed mid-stream: no answer" bash -c '[ ! -s "$1" ]' _ $T/killed.json

for how in close fin; do
	st=$(raw half alpha $how)
	check "Content-Length 1000, 500 bytes, then $how: no 2xx (got $st)" not_2xx "$st"
	check "Content-Length lie ($how): quarantine empty" quarantine_empty
	check_eq "Content-Length lie ($how): checkpoint unchanged" "$(log_size)" "$S0"
	st=$(raw chunkcut alpha $how)
	check "chunked body cut mid-chunk, then $how: no 2xx (got $st)" not_2xx "$st"
	check "chunked cut ($how): quarantine empty" quarantine_empty
	check_eq "chunked cut ($how): checkpoint unchanged" "$(log_size)" "$S0"
done
st=$(raw chunkbad alpha)
check_eq "chunk size that is not hex -> 400" "$st" 400
check "broken chunked encoding: quarantine empty" quarantine_empty
check_eq "broken chunked encoding: checkpoint unchanged" "$(log_size)" "$S0"

# The timeouts: body idle, whole request (in the background while the rest runs), handshake.
read -r st t <<<"$(raw stall alpha $((BODY_T + 10)))"
check "body stalled after 1000 bytes: closed by body_timeout ${BODY_T}s (+${MARGIN}s) (after ${t}s)" \
	bash -c 'within "$1" "$2" && atleast "$1" "$3"' _ "$t" $((BODY_T + MARGIN)) $((BODY_T - 1))
check "stalled body: no 2xx (got $st)" not_2xx "$st"
check "stalled body: the daemon logged a timeout" grep -qE 'aborted: timeout after 1000 bytes' $RUN/daemon.log
check "stalled body: quarantine empty" quarantine_empty
check_eq "stalled body: checkpoint unchanged" "$(log_size)" "$S0"
# Started only now: its upload holds a quarantine file until request_timeout.
raw dribble alpha $((REQUEST_T + 10)) >$T/dribble.out &
dribble=$!
BG="$BG $dribble"
t=$(raw nohandshake alpha $((HANDSHAKE_T + 10)))
check "TCP client that never starts TLS: closed by handshake_timeout ${HANDSHAKE_T}s (after ${t}s)" \
	bash -c 'within "$1" "$2" && atleast "$1" "$3"' _ "$t" $((HANDSHAKE_T + MARGIN)) $((HANDSHAKE_T - 1))
t=$(raw hsdribble alpha $((HANDSHAKE_T + 10)))
check "TLS handshake dribbled a byte a second: closed by handshake_timeout ${HANDSHAKE_T}s (after ${t}s)" \
	bash -c 'within "$1" "$2" && atleast "$1" "$3"' _ "$t" $((HANDSHAKE_T + MARGIN)) $((HANDSHAKE_T - 1))

# ================================================================ slow clients
rm -f $T/slow.ready
proc() { awk -v k="$1:" '$1 == k { print $2 }' /proc/$(it_front)/status; }
thr0=$(proc Threads) rss0=$(proc VmRSS)
raw slow beta $SLOW $((HEADER_T + 12)) $T/slow.ready >$T/slow.out 2>&1 &
slow=$!
BG="$BG $slow"
for ((i = 0; i < 300; i++)); do [ -e $T/slow.ready ] && break; sleep 0.1; done
check "$SLOW slow-header clients connected" [ -e $T/slow.ready ]
thr1=$(proc Threads) rss1=$(proc VmRSS)
note "daemon with $SLOW slow clients: $thr1 threads (before: $thr0), VmRSS $rss1 KiB (before: $rss0 KiB)"
check_eq "$SLOW slow clients cost no thread" "$thr1" "$thr0"
if it_asan; then
	note "sanitizer build: memory per connection not checked (ASan shadow memory inflates RSS)"
else
	check "$SLOW slow clients cost under $CONN_KIB KiB each ($(((rss1 - rss0) / SLOW)) KiB)" \
		[ $(((rss1 - rss0) / SLOW)) -lt $CONN_KIB ]
fi
printf 'a normal upload while %d clients dribble headers\n' $SLOW >$T/fast.txt
t0=$(date +%s.%N)
code=$(CURL_TIME=$FAST_MAX iput alpha evidence fast.txt $T/fast.txt $T/fast.json)
t1=$(date +%s.%N)
took=$(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.2f", b - a }')
check_eq "upload beside $SLOW slow clients -> 201 (in ${took}s)" "$code" 201
check "upload beside $SLOW slow clients answered within ${FAST_MAX}s (${took}s)" within "$took" $FAST_MAX
check "upload beside slow clients: Go verifies receipt and file" goverify receipt $VKEY $T/fast.json $T/fast.txt
wait $slow
S0=$(log_size)
sj() { $PY -c 'import json,sys; print(eval(sys.argv[2], {}, json.load(open(sys.argv[1]))))' $T/slow.out "$1" 2>/dev/null; }
note "slow clients: $($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("closes"); print(d)' $T/slow.out)"
check_eq "slow clients: all $SLOW handshakes done" "$(sj opened)" $SLOW
check_eq "slow clients: all closed by the daemon" "$(sj closed)" $SLOW
# open_at TIME: how many slow clients were still connected at TIME (epoch seconds)
open_at() { $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["opened"] - sum(1 for c in d["closes"] if c < float(sys.argv[2])))' $T/slow.out $1; }
check_eq "slow clients: all $SLOW connected when the upload started" "$(open_at $t0)" $SLOW
note "slow clients: $(open_at $t1) still connected when the upload was answered"
check "slow clients: closed at header_timeout ${HEADER_T}s (+${MARGIN}s): first $(sj first), last $(sj last)" \
	bash -c 'within "$1" "$3" && atleast "$2" "$4"' _ "$(sj last)" "$(sj first)" $((HEADER_T + MARGIN)) $((HEADER_T - 1))
check "slow clients: nothing was answered 2xx ($(sj answers))" \
	bash -c '! grep -q "\"2[0-9][0-9]\"" <<<"$1"' _ "$(sj answers)"
check "slow clients: the daemon logged header timeouts" grep -q 'request headers from .*: timeout' $RUN/daemon.log
check "slow clients: quarantine empty" quarantine_empty

# ================================================================ header limits
st=$(raw headers alpha $((HDR_COUNT + 10)) 0)
check_eq "$((HDR_COUNT + 10)) headers (max_header_count $HDR_COUNT) -> 431" "$st" 431
st=$(raw headers alpha 2 $((HDR_SIZE + 100)))
check_eq "a ${HDR_SIZE}+ byte header (max_header_size $HDR_SIZE) -> 431" "$st" 431
st=$(raw headers alpha 2 200)
check_eq "a few small headers -> 200" "$st" 200

wait $dribble
read -r st t <$T/dribble.out
check "body dribbled a byte a second: closed by request_timeout ${REQUEST_T}s (+${MARGIN}s) (after ${t}s)" \
	bash -c 'within "$1" "$2" && atleast "$1" "$3"' _ "$t" $((REQUEST_T + MARGIN)) $((REQUEST_T - 1))
check "dribbled body: no 2xx (got $st)" not_2xx "$st"
check "dribbled body: quarantine empty" quarantine_empty
check_eq "dribbled body: checkpoint unchanged" "$(log_size)" "$S0"

# ================================================================ client digests (RFC 9530)
printf 'Evidence EV-007: firewall rule review, signed off 2026-01-12.\n' >$T/dig.txt
printf 'something else entirely\n' >$T/other.txt
D256=$(b64dig sha256 $T/dig.txt)
D512=$(b64dig sha512 $T/dig.txt)
W256=$(b64dig sha256 $T/other.txt)
W512=$(b64dig sha512 $T/other.txt)
N=$S0
# claim_in RESPONSE LINE: the receipt's note text has LINE (the signature is checked apart)
claim_in() {
	$PY -c 'import json,sys
t = json.load(open(sys.argv[1])).get("receipt", "").split("\n\n")[0].split("\n")
sys.exit(0 if sys.argv[2] in t else 1)' "$1" "$2"
}
# finding_in RESPONSE CODE: the answer and the signed text both carry finding CODE
finding_in() {
	$PY -c 'import json,sys
d = json.load(open(sys.argv[1]))
t = d.get("receipt", "").split("\n\n")[0].split("\n")
ok = any(f.get("code") == sys.argv[2] for f in d.get("findings", [])) and \
    any(l.startswith("finding: " + sys.argv[2] + " ") for l in t)
sys.exit(0 if ok else 1)' "$1" "$2"
}
# dig NAME HEADER WANT_CODE: an upload of dig.txt with HEADER; its receipt is checked with
# `intake verify` (signature, proof, hash) and its text for the claim and the finding
dig() {
	local name=$1 hdr=$2 want=$3 code
	code=$(iput alpha evidence dig.txt $T/dig.txt $T/d-$name.json -H "$hdr")
	check_eq "$name: $hdr -> $want" "$code" "$want"
	case $code in 201 | 422) N=$((N + 1)) ;; esac
	check "$name: intake verify accepts the receipt and the file" \
		"$INTAKE" verify --vkey "$(cat $VKEY)" $T/d-$name.json $T/dig.txt
	check "$name: the signed entry records the claim" claim_in $T/d-$name.json "client-digest: ${hdr#*: }"
	if [ "$want" = 422 ]; then
		check "$name: finding digest-mismatch in the answer and the entry" finding_in $T/d-$name.json digest-mismatch
	else
		check "$name: no digest finding" bash -c '! grep -q "digest-" "$1"' _ $T/d-$name.json
	fi
}
dig sha256-ok "Content-Digest: sha-256=:$D256:" 201
dig sha256-bad "Content-Digest: sha-256=:$W256:" 422
dig sha512-ok "Content-Digest: sha-512=:$D512:" 201
dig sha512-bad "Content-Digest: sha-512=:$W512:" 422
dig both-ok "Content-Digest: sha-256=:$D256:, sha-512=:$D512:" 201
dig one-of-two-bad "Content-Digest: sha-256=:$D256:, sha-512=:$W512:" 422
dig repr-ok "Repr-Digest: sha-256=:$D256:" 201
dig repr-bad "Repr-Digest: sha-256=:$W256:" 422
dig unknown-alg "Content-Digest: md5=:$(b64dig md5 $T/other.txt):" 201
dig unknown-beside-ok "Content-Digest: unixsum=:AAAA:, sha-256=:$D256:" 201
check_eq "checkpoint counts exactly the digest uploads" "$(log_size)" $N
check "Go verifier accepts a receipt with a client-digest line (201)" goverify receipt $VKEY $T/d-sha256-ok.json $T/dig.txt
check "Go verifier accepts a receipt with a client-digest line (422)" goverify receipt $VKEY $T/d-sha256-bad.json $T/dig.txt

# ================================================================ SIGHUP
# A broken parties file: refused, the old one stays.
cp $RUN/parties.conf $T/parties.good
printf '[party DELTA]\nname = Delta\ncolour = blue\n' >>$RUN/parties.conf
off=$(logoff)
kill -HUP $DPID
check "SIGHUP with a broken parties file: the daemon logs the refusal" \
	log_since $off 'reload refused.*parties.conf:[0-9]+.*colour' 5
note "$(tail -c +$((off + 1)) $RUN/daemon.log | head -n 2)"
printf 'BETA after a refused reload\n' >$T/beta.txt
check_eq "after the refused reload BETA still uploads" "$(iput beta evidence beta.txt $T/beta.txt /dev/null)" 201
check_eq "after the refused reload ALPHA still uploads" "$(iput alpha evidence a.txt $T/beta.txt /dev/null)" 201
check "daemon alive after a refused reload" it_alive
cp $T/parties.good $RUN/parties.conf

# TLS session resumption (tls.c): a session of BETA resumes without a certificate and speaks
# as BETA; a session of a handshake that failed does not exist; no session outlives a reload.
# sclient SESSION CERT|- REQUEST-PATH: one s_client connection resuming SESSION (and saving the
# new one back); prints "Reused"/"New" and the HTTP status ("none" if no answer).
sclient() {
	local sess=$1 cert=$2 path=$3 out
	local args=(-connect 127.0.0.1:$PORT -servername localhost -CAfile $PKI/ca.crt -ign_eof)
	[ "$cert" = - ] || args+=(-cert $PKI/$cert.crt -key $PKI/$cert.key)
	[ -s "$sess" ] && args+=(-sess_in "$sess")
	out=$( (printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$path"
		sleep 2) | timeout 10 openssl s_client "${args[@]}" -sess_out "$sess.new" 2>&1)
	[ -s "$sess.new" ] && mv "$sess.new" "$sess"
	echo "$(echo "$out" | grep -oE '^(Reused|New),' | head -n 1 | tr -d ,)" \
		"$(echo "$out" | awk '/^HTTP\/1.1 / { print $2; exit }' | grep . || echo none)"
}
printf 'BETA before the reloads\n' >$T/bsess.txt
check_eq "BETA uploads a file for the resumption checks" \
	"$(iput beta evidence bsess.txt $T/bsess.txt $T/bsess.json)" 201
bidx=$(jget $T/bsess.json index)
rm -f $T/beta.sess $T/alpha.sess
check_eq "BETA's full handshake reads its receipt" "$(sclient $T/beta.sess beta /v1/receipts/$bidx)" "New 200"
check_eq "BETA's session resumes without a certificate and still speaks as BETA" \
	"$(sclient $T/beta.sess - /v1/receipts/$bidx)" "Reused 200"
check_eq "ALPHA's full handshake cannot read BETA's receipt" \
	"$(sclient $T/alpha.sess alpha /v1/receipts/$bidx)" "New 404"
check_eq "ALPHA's resumed session is still ALPHA" \
	"$(sclient $T/alpha.sess - /v1/receipts/$bidx)" "Reused 404"
cp $T/beta.sess $T/beta.sess.old
off=$(logoff)
kill -HUP $DPID
check "SIGHUP (same files): reloaded" log_since $off 'reloaded policy, parties' 5
check_eq "after SIGHUP BETA's session does not resume: no certificate, no answer" \
	"$(sclient $T/beta.sess - /v1/receipts/$bidx)" "New none"
cp $T/beta.sess.old $T/beta.sess
check_eq "after SIGHUP BETA's session and certificate: a full handshake" \
	"$(sclient $T/beta.sess beta /v1/receipts/$bidx)" "New 200"
check_eq "the session of that handshake resumes" "$(sclient $T/beta.sess - /v1/receipts/$bidx)" "Reused 200"
cp $T/beta.sess $T/beta.sess.old

# A new CRL revoking BETA: BETA refused in the handshake, ALPHA fine; a broken CRL refused.
cp $RUN/ca.crl $T/ca.crl.good
if mkcrl $T/ca.crl.beta revoked beta; then
	cp $T/ca.crl.beta $RUN/ca.crl
	off=$(logoff)
	kill -HUP $DPID
	check "SIGHUP with a CRL revoking BETA: reloaded" log_since $off 'reloaded policy, parties' 5
	check_eq "BETA's session from before the CRL does not resume" \
		"$(sclient $T/beta.sess.old - /v1/receipts/$bidx)" "New none"
	check_eq "BETA's revoked certificate refused in the handshake" \
		"$(iput beta evidence beta.txt $T/beta.txt /dev/null)" 000
	check_eq "ALPHA unaffected by the new CRL" "$(iput alpha evidence a.txt $T/beta.txt /dev/null)" 201
	printf -- '-----BEGIN X509 CRL-----\nbroken\n-----END X509 CRL-----\n' >$RUN/ca.crl
	off=$(logoff)
	kill -HUP $DPID
	check "SIGHUP with a broken CRL: the daemon logs the refusal" log_since $off 'reload refused' 5
	note "$(tail -c +$((off + 1)) $RUN/daemon.log | head -n 1)"
	check_eq "after the refused CRL the previous one stays: BETA still refused" \
		"$(iput beta evidence beta.txt $T/beta.txt /dev/null)" 000
	cp $T/ca.crl.good $RUN/ca.crl
	off=$(logoff)
	kill -HUP $DPID
	check "SIGHUP with the old CRL back: reloaded" log_since $off 'reloaded policy, parties' 5
	check_eq "BETA uploads again" "$(iput beta evidence beta.txt $T/beta.txt /dev/null)" 201
else
	check "a CRL revoking BETA could be made with openssl ca" false
fi

# BETA removed: refused at once; ALPHA's open connection and an upload in flight carry on.
sed '/^\[party BETA\]/,/^role/d' $T/parties.good >$RUN/parties.conf
rm -f $T/ka.ready $T/ka.go
raw keepalive alpha $T/ka.ready $T/ka.go >$T/ka.out 2>&1 &
ka=$!
BG="$BG $ka"
yes 'slow upload across a reload' | head -c 600000 >$T/hup.txt
iput alpha evidence hup.txt $T/hup.txt $T/hup.json --limit-rate 200K >$T/hup.code &
hup=$!
BG="$BG $hup"
for ((i = 0; i < 100; i++)); do [ -e $T/ka.ready ] && break; sleep 0.1; done
sleep 1
off=$(logoff)
kill -HUP $DPID
check "SIGHUP with BETA removed: the daemon logs the reload" log_since $off 'reloaded policy, parties' 5
check_eq "after SIGHUP BETA is refused" "$(iput beta evidence beta.txt $T/beta.txt $T/b403.json)" 403
check_eq "after SIGHUP ALPHA still uploads" "$(iput alpha evidence a2.txt $T/beta.txt /dev/null)" 201
touch $T/ka.go
wait $ka
check_eq "ALPHA's connection opened before SIGHUP: GET, PUT, GET on it" "$(cat $T/ka.out)" "200 201 200"
wait $hup
check_eq "upload in flight during SIGHUP -> 201" "$(cat $T/hup.code)" 201
check "upload across SIGHUP: Go verifies receipt and file" goverify receipt $VKEY $T/hup.json $T/hup.txt
check "daemon alive after the reloads" it_alive
check "quarantine empty" quarantine_empty

# ================================================================ intaked -t
# bad_conf NAME SED-SCRIPT KEY: a copy of the configuration edited by SED-SCRIPT must be refused
# with its file, the line of KEY and KEY named.
bad_conf() {
	local f=$T/$1.conf out rc line
	sed "$2" $RUN/intaked.conf >$f
	line=$(grep -n "^$3 *=" $f | head -n 1 | cut -d: -f1)
	out=$("$INTAKED" -t -c $f 2>&1)
	rc=$?
	note "intaked -t ($1): $out"
	check "intaked -t: $1 refused, named as $f:$line and '$3'" \
		bash -c '[ "$1" != 0 ] && grep -qF "$2:$3:" <<<"$4" && grep -qF "$5" <<<"$4"' _ $rc "$f" "$line" "$out" "$3"
}
check "intaked -t accepts the running configuration" "$INTAKED" -t -c $RUN/intaked.conf
bad_conf bad-listen 's/^listen = .*/listen = not-an-address/' listen
bad_conf bad-listen-port 's/^listen = .*/listen = 127.0.0.1:99999/' listen
bad_conf unknown-key 's/^\(data *=.*\)$/\1\ncolour = blue/' colour
bad_conf bad-limit 's/^header_timeout = .*/header_timeout = soon/' header_timeout
bad_conf zero-limit 's/^body_timeout = .*/body_timeout = 0/' body_timeout
bad_conf bad-limit-size 's/^max_header_size = .*/max_header_size = 12Q/' max_header_size
it_stop

# ================================================================ per-Party limits
it_start_limits lim max_connections=$MAX_CONNS max_connections_party=$PARTY_CONNS uploads_per_minute=$PER_MINUTE bytes_per_day=$PER_DAY
read -r s1 ra s2 s3 <<<"$(raw conns alpha $PARTY_CONNS beta)"
check_eq "ALPHA's connection beyond max_connections_party $PARTY_CONNS -> 429" "$s1" 429
check "that 429 carries Retry-After (got '$ra')" bash -c '[[ $1 =~ ^[1-9][0-9]*$ ]]' _ "$ra"
check_eq "BETA meanwhile -> 200" "$s2" 200
check_eq "ALPHA once one of its connections closed -> 200" "$s3" 200
read -r a b <<<"$(raw total alpha $MAX_CONNS beta,secas,audit)"
check_eq "connection beyond max_connections $MAX_CONNS is refused" "$a" refused
check_eq "once one closed, a new connection -> 200" "$b" 200
S0=$(log_size)
printf 'rate\n' >$T/rate.txt
for i in $(seq 1 $PER_MINUTE); do
	code=$(iput alpha evidence rate$i.txt $T/rate.txt /dev/null)
	check_eq "ALPHA upload $i of $PER_MINUTE a minute -> 201" "$code" 201
done
code=$(iput alpha evidence over.txt $T/rate.txt $T/over.json -D $T/over.hdr)
check_eq "ALPHA upload $((PER_MINUTE + 1)) within the minute -> 429" "$code" 429
check "that 429 carries Retry-After" grep -qiE '^Retry-After: [1-9][0-9]*' $T/over.hdr
check_eq "BETA is not limited by ALPHA's rate" "$(iput beta evidence b.txt $T/rate.txt /dev/null)" 201
check_eq "the 429 is not logged" "$(log_size)" $((S0 + PER_MINUTE + 1))
yes 'daily volume' | head -c $((PER_DAY * 6 / 10)) >$T/day.txt
check_eq "BETA 60% of bytes_per_day -> 201" "$(iput beta evidence day1.txt $T/day.txt /dev/null)" 201
code=$(iput beta evidence day2.txt $T/day.txt /dev/null -D $T/day.hdr)
check_eq "BETA another 60% of bytes_per_day -> 429" "$code" 429
check "that 429 carries Retry-After" grep -qiE '^Retry-After: [1-9][0-9]*' $T/day.hdr
S1=$(log_size)
code=$(icurl beta -o $T/day3.json -w '%{http_code}' -H 'Transfer-Encoding: chunked' -T - \
	"https://localhost:$PORT/v1/submissions/evidence/day3.txt" <$T/day.txt)
check_eq "BETA chunked (no declared size) past bytes_per_day -> 429" "$code" 429
check_eq "the chunked upload past the budget is not logged" "$(log_size)" $S1
check_eq "SECAS is not limited by BETA's volume" "$(iput secas evidence s.txt $T/rate.txt /dev/null)" 201
check "daemon alive" it_alive
it_stop

# ================================================================ SIGTERM during an upload
it_start_limits term
yes 'upload in flight at SIGTERM' | head -c 1000000 >$T/term.txt
iput alpha evidence term.txt $T/term.txt $T/term.json --limit-rate 250K >$T/term.code &
up=$!
BG="$BG $up"
sleep 1.5
off=$(logoff)
t0=$SECONDS
kill -TERM $DPID
sleep 0.5
code=$(iget alpha /v1/log/checkpoint /dev/null)
check_eq "a new connection while draining is refused (curl status 000)" "$code" 000
wait $up
check_eq "the upload in flight at SIGTERM -> 201" "$(cat $T/term.code)" 201
check "its receipt and file verify with Go" goverify receipt $VKEY $T/term.json $T/term.txt
for ((i = 0; i < 350; i++)); do kill -0 $DPID 2>/dev/null || break; sleep 0.1; done
if kill -0 $DPID 2>/dev/null; then
	check "the daemon exits within the 30 s grace time" false
	kill -KILL -- -$DPID 2>/dev/null
fi
wait $DPID
rc=$?
DPID=
check_eq "the daemon exits 0 after draining (in $((SECONDS - t0))s)" "$rc" 0
check "the daemon logged draining and stopping" log_since $off 'stopped' 1
check "quarantine empty" quarantine_empty
it_launch || bail "intaked did not restart: $(tail -n 2 $RUN/daemon.log)"
check_eq "after a restart the drained upload is in the log" "$(log_size)" 1
# An upload that cannot finish within the grace time: cut, nothing kept, exit 0 at the grace.
curl -s --max-time 90 --resolve "localhost:$PORT:127.0.0.1" --cacert $PKI/ca.crt --cert $PKI/alpha.crt \
	--key $PKI/alpha.key --limit-rate 20K -T $T/term.txt -o $T/grace.json -w '%{http_code}' \
	"https://localhost:$PORT/v1/submissions/evidence/grace.txt" >$T/grace.code 2>/dev/null &
up=$!
BG="$BG $up"
sleep 1.5
t0=$SECONDS
kill -TERM $DPID
for ((i = 0; i < (GRACE + 10) * 10; i++)); do kill -0 $DPID 2>/dev/null || break; sleep 0.1; done
t=$((SECONDS - t0))
if kill -0 $DPID 2>/dev/null; then
	kill -KILL -- -$DPID 2>/dev/null
fi
wait $DPID
rc=$?
DPID=
check "an upload longer than the grace: the daemon exits at the ${GRACE}s grace (after ${t}s)" \
	bash -c '[ "$1" -ge $(($2 - 2)) ] && [ "$1" -le $(($2 + 5)) ]' _ $t $GRACE
check_eq "... and exits 0" "$rc" 0
wait $up
check "the cut upload got no 2xx (got $(cat $T/grace.code))" not_2xx "$(cat $T/grace.code | sed 's/^000$/none/')"
check "the cut upload: quarantine empty" quarantine_empty
it_launch || bail "intaked did not restart: $(tail -n 2 $RUN/daemon.log)"
check_eq "the cut upload is not in the log" "$(log_size)" 1
it_stop
summary
