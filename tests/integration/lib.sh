# tests/integration/lib.sh: the integration harness, sourced by the *.sh tests beside it.
#
# Runs the real intaked on 127.0.0.1 with a fresh dev PKI (certs/mkdev.sh), a fresh log key
# (`intake keygen`), a parties file of its own and a configuration written to DESIGN §4, on
# free loopback ports; talks to it with curl, openssl and python3, and verifies what it signs
# with tests/go/verify (Go's x/mod only, none of our C). Every wait is bounded; the daemon runs
# in its own process group and is stopped by that group's id on exit (trap).
#
# Environment (ctest sets all four; defaults suit a manual run from anywhere):
#   SRCDIR   source tree              (default: two levels above this file)
#   BUILDDIR build tree               (default: $SRCDIR/build)
#   INTAKED  the daemon               (default: $BUILDDIR/intaked)
#   INTAKE   the CLI                  (default: $BUILDDIR/intake)
#   INTAKE_KEEP=1     keep the scratch directory (its path is printed)
#   INTAKE_SANITIZE=1 treat the binaries as sanitizer builds (also detected from the binary)
#
# API: it_pki; it_start NAME [POLICY]; it_stop; it_restart [kill]; it_alive; icurl CERT ARGS...; iput CERT KIND
# NAME FILE OUT [CURL ARGS...]; iget CERT PATH OUT; bulk_put CERT KIND COUNT THREADS PREFIX;
# admin_get PATH; metric NAME; iput_bg CERT KIND NAME FILE RATE; log_size; jget FILE KEY;
# entry_has RESPONSE LINE; has_findings RESPONSE;
# goverify ARGS...; check NAME CMD...; check_eq NAME GOT WANT; refuses CMD...; note MSG; summary.
set -u
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	echo "lib.sh is the harness the integration tests source; it runs nothing by itself"
	exit 0
fi

: "${SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${BUILDDIR:=$SRCDIR/build}"
: "${INTAKED:=$BUILDDIR/intaked}"
: "${INTAKE:=$BUILDDIR/intake}"
export PATH=$PATH:/usr/lib/go-1.19/bin:/usr/sbin:/sbin

PY=/usr/bin/python3                    # Debian's, the one python3-openpyxl is for
[ -x $PY ] || PY=python3
ORIGIN=intake.test/log                 # log origin = signing key name
START_WAIT=${START_WAIT:-20}           # seconds for the daemon to answer after start
STOP_WAIT=40                           # seconds for SIGTERM to drain (grace 30) before SIGKILL
CURL_TIME=${CURL_TIME:-60}             # per request, seconds

# Started as root, the daemon's inspectors run as [server] user (default intaked): the
# system user must exist, as scripts/up makes it.
if [ "$(id -u)" = 0 ] && ! getent passwd intaked >/dev/null; then
	# (another test may have made it meanwhile)
	useradd --system --no-create-home --shell /usr/sbin/nologin intaked 2>/dev/null ||
		getent passwd intaked >/dev/null || { echo "FAIL cannot create the system user intaked"; exit 1; }
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/intake-it.XXXXXX")
# the daemon's children run as that user: they reach the data directory and reread the
# policy, parties and TLS files on SIGHUP through this directory
[ "$(id -u)" = 0 ] && chmod 711 "$T"
PASS=0 FAIL=0 DPID= PORT= APORT= RUN= PKI= VKEY=

# The binaries are sanitizer builds: then the daemon's exit must show no leak or error.
it_asan() {
	[ "${INTAKE_SANITIZE:-0}" = 1 ] && return 0
	ldd "$INTAKED" 2>/dev/null | grep -q 'lib[at]san' && return 0
	nm "$INTAKED" 2>/dev/null | grep -q '__asan_init' && return 0
	return 1
}
if it_asan; then
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
	START_WAIT=$((START_WAIT * 3))
fi

note() { echo "# $*"; }

it_cleanup() {
	local rc=$?
	it_stop quiet
	if [ "${INTAKE_KEEP:-0}" = 1 ]; then
		echo "# scratch kept in $T"
	else
		rm -rf "$T"
	fi
	exit $rc
}
trap it_cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- checks
DLOG_MARK=0
# daemon log lines written since the last check started
dlog_new() {
	[ -n "$RUN" ] && [ -f "$RUN/daemon.log" ] || return 0
	tail -c +$((DLOG_MARK + 1)) "$RUN/daemon.log" | tail -n 5 | sed 's/^/#   daemon: /'
}
dlog_mark() {
	DLOG_MARK=0
	[ -n "$RUN" ] && [ -f "$RUN/daemon.log" ] && DLOG_MARK=$(stat -c %s "$RUN/daemon.log")
	return 0
}

# check NAME CMD...: CMD's exit status decides; its output is shown on failure.
check() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc = 0 ]; then
		PASS=$((PASS + 1))
		echo "ok   $name"
	else
		FAIL=$((FAIL + 1))
		echo "FAIL $name"
		[ -z "$out" ] || printf '%s\n' "$out" | head -n 8 | sed 's/^/#   /'
		dlog_new
	fi
	dlog_mark
}

# refuses CMD...: CMD exits with a refusal (1..125), not success, not "not found", not a crash
refuses() {
	"$@" >/dev/null 2>&1
	local rc=$?
	[ $rc -ge 1 ] && [ $rc -le 125 ] || { echo "exit status $rc"; return 1; }
}

check_eq() { check "$1 (got '$2', want '$3')" [ "$2" = "$3" ]; }

summary() {
	echo "$PASS passed, $FAIL failed"
	[ $FAIL = 0 ] && [ $PASS -gt 0 ]
}

# bail MSG: a harness step failed; counts as a failure and ends the script.
bail() {
	FAIL=$((FAIL + 1))
	echo "FAIL $*"
	dlog_new
	summary
	exit 1
}

# ---------------------------------------------------------------- PKI, verifier
it_pki() {
	PKI=$T/pki
	sh "$SRCDIR/certs/mkdev.sh" "$PKI" >"$T/mkdev.log" 2>&1 || bail "certs/mkdev.sh: $(tail -n 3 "$T/mkdev.log")"
	local f
	for f in ca server alpha beta secas audit revoked expired servereku rogue gamma; do
		[ -s "$PKI/$f.crt" ] || bail "certs/mkdev.sh made no $f.crt"
	done
	[ -s "$PKI/ca.crl" ] || bail "certs/mkdev.sh made no ca.crl"
}

# goverify ARGS...: tests/go/verify, built once into the build tree (rebuilt when older).
goverify() {
	local bin=$BUILDDIR/goverify src=$SRCDIR/tests/go/verify
	if [ ! -x "$bin" ] || [ "$src/main.go" -nt "$bin" ]; then
		(cd "$src" && GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= \
			GOCACHE="$BUILDDIR/go-cache" go build -o "$bin.tmp.$$" .) >"$T/go-build.log" 2>&1 &&
			mv -f "$bin.tmp.$$" "$bin" || { cat "$T/go-build.log"; return 2; }
	fi
	"$bin" "$@"
}

# randtext BYTES: BYTES of random text (base64 lines of /dev/urandom) that libmagic types
# text/plain. Its first line is fixed: base64 may begin with what a magic rule looks for at
# offset 0 (libmagic 5.44 takes about 1 in 800 such texts for HP-GL, whose commands are two
# capitals: "BP", "PA", "SP"...), and the upload would then be rejected for its type, which is
# not what a test of a text upload means to send.
randtext() {
	{ printf 'random text for a test upload\n'; head -c $(($1 * 3 / 4 + 3)) /dev/urandom |
		base64 -w 76; } | head -c "$1"
}

# freeport: a loopback port that is free now, for a daemon to listen on. Taken at random below
# the kernel's ephemeral range: a port from that range (bind to port 0), once released, may be
# given to any client socket of the tests running beside this one before the daemon binds it.
freeport() {
	$PY - <<-'EOF'
	import random, socket
	low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
	for _ in range(1000):
	    port = random.randint(10000, low - 1) if low > 10000 else 0
	    s = socket.socket()
	    try:
	        s.bind(("127.0.0.1", port))
	        print(s.getsockname()[1])
	        break
	    except OSError:
	        pass
	    finally:
	        s.close()
	else:
	    raise SystemExit("no free port below the ephemeral range")
	EOF
}

# ---------------------------------------------------------------- daemon
# it_config NAME [POLICY]: writes $T/NAME/intaked.conf (DESIGN §4) and its key and parties.
it_config() {
	local policy=${2:-$SRCDIR/policy/intake.policy}
	RUN=$T/$1
	mkdir -p "$RUN"
	[ -f "$policy" ] || bail "no policy file $policy"
	"$INTAKE" keygen "$ORIGIN" -o "$RUN/log.key" >"$RUN/keygen.out" 2>&1 ||
		bail "intake keygen: $(tail -n 1 "$RUN/keygen.out")"
	VKEY=$RUN/vkey
	grep -Eo "^$ORIGIN\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+\$" "$RUN/keygen.out" | head -n 1 >"$VKEY"
	[ -s "$VKEY" ] || bail "intake keygen printed no verifier key: $(head -c 200 "$RUN/keygen.out")"
	cat >"$RUN/parties.conf" <<-EOF
	; parties of the integration tests (certs/mkdev.sh identities)
	[party ALPHA]
	name  = Alpha Energy Ltd
	match = urn:sec:party:ALPHA
	role  = party
	[party BETA]
	name  = Beta Networks plc
	match = urn:sec:party:BETA
	role  = party
	[party SECAS]
	name  = Smart Energy Code Administrator and Secretariat
	match = urn:sec:party:SECAS
	role  = secas
	[party AUDIT]
	name  = Northgate Assurance LLP
	match = urn:sec:party:AUDIT
	role  = auditor
	EOF
	PORT=$(freeport)
	APORT=$(freeport)
	cat >"$RUN/intaked.conf" <<-EOF
	[server]
	listen = 127.0.0.1:$PORT        ; intake listener, mutual TLS only
	admin  = 127.0.0.1:$APORT       ; plain HTTP, loopback
	data   = $RUN/data
	[tls]
	certificate = $PKI/server.crt
	key         = $PKI/server.key
	client_ca   = $PKI/ca.crt
	crl         = $PKI/ca.crl
	[log]
	origin = $ORIGIN
	key    = $RUN/log.key
	[policy]
	file    = $policy
	parties = $RUN/parties.conf
	EOF
	[ -z "${INTAKE_TEST_DSN:-}" ] || it_pg_ledger
}

# it_pg_ledger: with INTAKE_TEST_DSN (and INTAKE_TEST_PGHOST) set, as tests/pg.sh does, the
# daemon keeps its ledger in a fresh PostgreSQL database of its own ([ledger] backend =
# postgresql); PGDSN is its DSN (for intake audit --dsn, psql). Tests that want a second,
# empty ledger for the same daemon call it_pg_fresh_ledger.
it_pg_ledger() {
	it_pg_newdb
	# last: tests number the lines above, and append only whole sections
	printf '[ledger]\nbackend = postgresql\ndsn     = %s\n' "$PGDSN" >>"$RUN/intaked.conf"
}
it_pg_fresh_ledger() {
	it_pg_newdb
	sed -i "s|^dsn     = .*|dsn     = ${PGDSN//&/\\&}|" "$RUN/intaked.conf"
}
it_pg_newdb() {
	local db
	[ -n "${INTAKE_TEST_PGHOST:-}" ] || bail "INTAKE_TEST_DSN without INTAKE_TEST_PGHOST (use tests/pg.sh)"
	db=it_$(basename "$RUN" | tr -c 'a-zA-Z0-9_\n' _ | tr A-Z a-z)_$$_$RANDOM
	createdb -h "$INTAKE_TEST_PGHOST" -U intake "$db" >>"$T/createdb.log" 2>&1 ||
		bail "createdb $db: $(tail -n 1 "$T/createdb.log")"
	PGDSN="postgresql:///$db?host=$INTAKE_TEST_PGHOST&user=intake"
}

# it_launch: starts intaked on $RUN/intaked.conf in its own process group; waits for it.
it_launch() {
	local i n
	[ -x "$INTAKED" ] || bail "no daemon at $INTAKED"
	# setsid in a background child of a non-interactive shell does not fork: $! is the
	# daemon, and its pid is its process group's id.
	(cd "$RUN" && exec setsid "$INTAKED" -c "$RUN/intaked.conf") >>"$RUN/daemon.log" 2>&1 &
	DPID=$!
	n=$((START_WAIT * 10))
	for ((i = 0; i < n; i++)); do
		if ! kill -0 $DPID 2>/dev/null; then
			wait $DPID 2>/dev/null
			DPID=
			return 1
		fi
		if [ "$(admin_get /healthz)" = 200 ] || [ "$(iget alpha /v1/log/checkpoint /dev/null)" = 200 ]; then
			dlog_mark
			return 0
		fi
		sleep 0.1
	done
	return 2
}

# it_start NAME [POLICY]: config + launch; a port taken in between is retried.
it_start() {
	local try rc
	[ -n "$PKI" ] || it_pki
	for try in 1 2 3; do
		it_config "$@"
		[ -z "${IT_AFTER_CONFIG:-}" ] || $IT_AFTER_CONFIG
		it_launch
		rc=$?
		[ $rc = 0 ] && return 0
		[ $rc = 2 ] && bail "intaked did not answer within ${START_WAIT}s"
		grep -qi 'in use' "$RUN/daemon.log" || bail "intaked exited at start: $(tail -n 2 "$RUN/daemon.log")"
		rm -rf "$RUN"
	done
	bail "intaked: no free port after 3 tries"
}

# it_start_limits NAME KEY=VALUE...: it_start with those settings in a [limits] section, and a
# CRL of this daemon's own ($RUN/ca.crl, which SIGHUP tests may replace).
it_start_limits() {
	local name=$1
	shift
	IT_LIMITS=("$@")
	IT_AFTER_CONFIG=it_limits_config it_start "$name"
}
it_limits_config() {
	local kv
	{ echo "[limits]"; for kv in "${IT_LIMITS[@]}"; do echo "${kv%%=*} = ${kv#*=}"; done; } >>"$RUN/intaked.conf"
	cp $PKI/ca.crl $RUN/ca.crl
	sed -i "s|^crl .*|crl = $RUN/ca.crl|" $RUN/intaked.conf
}

# mkcrl OUT CERT...: a CRL of the dev CA revoking CERTs (openssl ca with a database of our own)
mkcrl() {
	local out=$1 d=$T/ca.db c
	shift
	rm -rf $d
	mkdir -p $d/new
	: >$d/index.txt
	echo 'unique_subject = no' >$d/index.txt.attr
	echo 1000 >$d/crlnumber
	printf '[ca]\ndefault_ca = c\n[c]\ndatabase = %s\ncrlnumber = %s\ncertificate = %s\nprivate_key = %s\ndefault_md = sha256\ndefault_crl_days = 30\nnew_certs_dir = %s\n' \
		$d/index.txt $d/crlnumber $PKI/ca.crt $PKI/ca.key $d/new >$d/ca.cnf
	for c; do openssl ca -config $d/ca.cnf -revoke $PKI/$c.crt >$d/log 2>&1 || { cat $d/log; return 1; }; done
	openssl ca -config $d/ca.cnf -gencrl -out $out >$d/log 2>&1 || { cat $d/log; return 1; }
}

# it_restart [kill]: stops the daemon (SIGTERM, checked; or SIGKILL with "kill") and starts
# it again on the same configuration, data and ports.
it_restart() {
	if [ "${1:-}" = kill ]; then
		kill -KILL -- -$DPID 2>/dev/null
		wait $DPID 2>/dev/null
		DPID=
	else
		it_stop
	fi
	it_launch || bail "intaked did not come back: $(tail -n 2 "$RUN/daemon.log")"
}

it_alive() { [ -n "$DPID" ] && kill -0 $DPID 2>/dev/null; }

# it_down_within SECONDS: the daemon ends by itself within SECONDS (1 if not); its status in
# DEXIT
it_down_within() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		kill -0 $DPID 2>/dev/null || break
		sleep 0.1
	done
	kill -0 $DPID 2>/dev/null && return 1
	wait $DPID 2>/dev/null
	DEXIT=$?
	DPID=
	return 0
}

# it_front: the pid of the daemon's front (intaked-front, a child of $DPID): the process
# that holds the connections, spools and quarantine descriptors
it_front() { pgrep -P "$DPID" -x intaked-front | head -1; }

# it_stop_group PID: SIGTERM to the process group PID (a daemon started with setsid), SIGKILL
# after STOP_WAIT; returns the daemon's status.
it_stop_group() {
	local i
	kill -TERM -- -$1 2>/dev/null
	for ((i = 0; i < STOP_WAIT * 10; i++)); do
		kill -0 $1 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL -- -$1 2>/dev/null
	wait $1 2>/dev/null
}

# it_stop [quiet]: it_stop_group of the daemon; sets DEXIT.
# Unless quiet, checks that it exited 0 and that no sanitizer reported anything.
it_stop() {
	DEXIT=
	[ -n "$DPID" ] || return 0
	it_stop_group $DPID
	DEXIT=$?
	DPID=
	[ "${1:-}" = quiet ] && return 0
	check_eq "daemon exits 0 on SIGTERM" "$DEXIT" 0
	check "no sanitizer report in the daemon's log" \
		bash -c '! grep -E "(Address|Leak|UndefinedBehavior|Memory|Thread)Sanitizer|runtime error:" "$1"' _ "$RUN/daemon.log"
}

# ---------------------------------------------------------------- HTTP
# icurl CERT ARGS...: curl over mutual TLS as certs/mkdev.sh's CERT ('none': no client cert);
# the name localhost (the server certificate's) is pinned to 127.0.0.1.
icurl() {
	local c=$1
	shift
	if [ "$c" = none ]; then
		curl -s --max-time "$CURL_TIME" --resolve "localhost:$PORT:127.0.0.1" --cacert "$PKI/ca.crt" "$@"
	else
		curl -s --max-time "$CURL_TIME" --resolve "localhost:$PORT:127.0.0.1" --cacert "$PKI/ca.crt" \
			--cert "$PKI/$c.crt" --key "$PKI/$c.key" "$@"
	fi
}

# iput CERT KIND NAME FILE OUT [CURL ARGS...]: PUT FILE as NAME (sent as given, so it may be
# percent-encoded); prints the HTTP status (000: no answer), the body goes to OUT.
iput() {
	local c=$1 kind=$2 name=$3 file=$4 out=$5
	shift 5
	icurl "$c" -o "$out" -w '%{http_code}' -T "$file" "$@" \
		"https://localhost:$PORT/v1/submissions/$kind/$name"
}

# bulk_put CERT KIND COUNT THREADS PREFIX: COUNT small text uploads PREFIX<i>.txt over THREADS
# keep-alive connections (python3); prints how many were answered 201.
bulk_put() {
	$PY - "$PORT" "$PKI" "$@" <<-'PY'
	import http.client, socket, ssl, sys, threading
	port, pki, cert, kind, count, threads, prefix = sys.argv[1:8]
	port, count, threads = int(port), int(count), int(threads)
	ctx = ssl.create_default_context(cafile=pki + "/ca.crt")
	ctx.load_cert_chain(pki + "/" + cert + ".crt", pki + "/" + cert + ".key")
	ok = [0] * threads
	def run(t):
	    c = None
	    for i in range(t, count, threads):
	        body = ("%s %d\n" % (prefix, i)).encode()
	        for attempt in range(2):
	            try:
	                if c is None:
	                    c = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=60)
	                    c.sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=60),
	                                             server_hostname="localhost")
	                c.request("PUT", "/v1/submissions/%s/%s%d.txt" % (kind, prefix, i), body=body)
	                r = c.getresponse()
	                r.read()
	                ok[t] += r.status == 201
	                if r.getheader("connection", "").lower() == "close":
	                    c.close(); c = None
	                break
	            except (OSError, http.client.HTTPException):
	                if c is not None:
	                    c.close()
	                c = None
	ts = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
	for t in ts: t.start()
	for t in ts: t.join()
	print(sum(ok))
	PY
}

# iget CERT PATH OUT: prints the HTTP status of GET PATH.
iget() { icurl "$1" -o "$3" -w '%{http_code}' "https://localhost:$PORT$2"; }

# iput_bg CERT KIND NAME FILE RATE: PUT FILE at curl's --limit-rate RATE in the background;
# BG_PID is curl itself (not a subshell), so that `kill -KILL $BG_PID` cuts the client off.
iput_bg() {
	curl -s --max-time 60 --resolve "localhost:$PORT:127.0.0.1" --cacert "$PKI/ca.crt" \
		--cert "$PKI/$1.crt" --key "$PKI/$1.key" --limit-rate "$5" -T "$4" -o /dev/null \
		"https://localhost:$PORT/v1/submissions/$2/$3" &
	BG_PID=$!
}

# metric NAME: the value of one line of the admin listener's /metrics ("" if absent).
metric() { curl -s --max-time 10 "http://127.0.0.1:$APORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

# admin_get PATH: plain HTTP to the admin listener; prints the status.
admin_get() {
	curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$APORT$1"
}

# quarantine_empty: DATA/quarantine holds nothing, waiting up to 5 s for the daemon to see a close
quarantine_empty() {
	local i
	for ((i = 0; i < 50; i++)); do
		[ -z "$(ls -A "$RUN/data/quarantine" 2>/dev/null)" ] && return 0
		sleep 0.1
	done
	ls -la "$RUN/data/quarantine"
	return 1
}

# log_size: the size of the tree in the current checkpoint (verified with Go), or "none".
log_size() {
	local f=$T/cp.$$
	if [ "$(iget audit /v1/log/checkpoint "$f")" = 200 ]; then
		goverify checkpoint "$VKEY" "$f" 2>/dev/null | cut -d' ' -f1 && return 0
	fi
	echo none
}

# jget FILE KEY: a top-level JSON value as text ("" when absent or not JSON).
jget() {
	$PY -c 'import json,sys
try: v = json.load(open(sys.argv[1])).get(sys.argv[2], "")
except Exception: v = ""
print(json.dumps(v) if isinstance(v, (list, dict)) else v)' "$1" "$2"
}

# entry_has RESPONSE LINE: the receipt verifies with Go and its entry has LINE
entry_has() { goverify entry "$VKEY" "$1" | grep -qxF "$2"; }

# has_findings RESPONSE: the answer lists at least one finding
has_findings() {
	$PY -c 'import json,sys; f=json.load(open(sys.argv[1])).get("findings"); sys.exit(0 if isinstance(f, list) and f else 1)' "$1"
}

sha256() { sha256sum "$1" | cut -d' ' -f1; }

# ---------------------------------------------------------------- sample files
# mkpdf FILE: a small well-formed one-page PDF
mkpdf() {
	printf '%s\n' '%PDF-1.4' \
		'1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj' \
		'2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj' \
		'3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]>> endobj' \
		'trailer <</Size 4 /Root 1 0 R>>' '%%EOF' >"$1"
}

# mkexe FILE: the start of a DOS/PE executable
mkexe() {
	{ printf 'MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00'; head -c 496 /dev/zero; } >"$1"
}
