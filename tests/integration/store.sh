#!/bin/bash
# tests/integration/store.sh: a content store apart from the data directory ([store] path), on
# another filesystem than the node's quarantine, against the real daemon on loopback.
#
# The store is a tmpfs the test mounts (as root; unmounted on exit), the data directory stays in
# the scratch directory: promotion cannot rename across them (EXDEV) and copies. Uploads (a
# small one, a duplicate, one of several MiB, a resumable one with `intake upload`) are 201,
# their blobs are in the configured store (mode 0444, [server] user's) and nowhere in DATA, no
# temporary file is left, each downloads back byte for byte from /v1/receipts/{i}/file. A
# second node (its own data directory, the same store) takes the same files at the same time:
# all 201, one blob each; it restarts while node 1 goes on storing, and its recovery leaves
# every blob of node 1's (young: its own ledger does not name them). Then node 1's start-up
# sweep of the shared store: an old orphan blob and an old .tmp- file go, a young
# orphan and a young .tmp- file stay (another node may be about to commit them), accepted blobs
# stay however old, this node's quarantine is emptied and node 2's is not touched.
# Offline, `intake audit --data DATA --store STORE` passes and fails once a blob is altered.
# `intaked -t` refuses a [store] path inside the quarantine with FILE:LINE. Skipped (exit 77)
# when not root or when no tmpfs can be mounted.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FS_SIZE=64m                             # the store's tmpfs
BIG=$((5 * 1024 * 1024 + 4321))         # bytes of the large upload: many copy buffers

MNT= N2PID=
n2_stop() {
	[ -n "$N2PID" ] || return 0
	it_stop_group $N2PID
	N2EXIT=$?
	N2PID=
}
st_cleanup() {
	local rc=$?
	n2_stop
	it_stop quiet
	[ -n "$MNT" ] && mountpoint -q "$MNT" && umount "$MNT"
	(exit $rc)
	it_cleanup
}
trap st_cleanup EXIT

if [ "$(id -u)" != 0 ]; then
	echo "# store.sh needs root to mount a tmpfs for the store; skipped"
	exit 77
fi

[ -n "$PKI" ] || it_pki
it_config store
MNT=$T/shared
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=$FS_SIZE,mode=0711 tmpfs "$MNT" 2>$T/mount.err; then
	echo "# cannot mount a tmpfs ($(cat $T/mount.err)); store.sh skipped"
	MNT=
	exit 77
fi
STORE=$MNT/store
printf '[store]\npath = %s   ; shared by the nodes\n' "$STORE" >>"$RUN/intaked.conf"
check "intaked -t accepts the [store] section" "$INTAKED" -t -c "$RUN/intaked.conf"
mkdir -p "$RUN/data"
check "the store and the data directory are on different filesystems" \
	[ "$(stat -c %d "$MNT")" != "$(stat -c %d "$RUN/data")" ]
it_launch || bail "intaked did not start with [store] path: $(tail -n 3 $RUN/daemon.log)"

# blob_of JSON: the store path of the receipt's file (its sha256 from the entry)
blob_of() {
	local h
	h=$($PY -c 'import json,sys,base64
e = json.load(open(sys.argv[1]))
print(e.get("sha256", ""))' "$1")
	echo "$STORE/${h:0:2}/$h"
}
temps() { find "$STORE" -name '.tmp-*' | wc -l; }

# ---------------------------------------------------------------- uploads into the other fs
printf 'evidence kept in a shared store\n' >$T/small.txt
check_eq "an upload -> 201" "$(iput alpha evidence small.txt $T/small.txt $T/small.json)" 201
check "its receipt verifies with Go" goverify receipt $VKEY $T/small.json $T/small.txt
idx=$(jget $T/small.json index)
b=$(blob_of $T/small.json)
check "its blob is in [store] path ($b)" [ -f "$b" ]
check_eq "the blob is read-only" "$(stat -c %a "$b" 2>/dev/null)" 444
check_eq "the blob is [server] user's" "$(stat -c %U "$b" 2>/dev/null)" intaked
check_eq "the store directory is [server] user's, 0700" "$(stat -c '%U %a' "$STORE")" "intaked 700"
check "nothing in DATA/store (the default is not used)" [ ! -e "$RUN/data/store" ]
check_eq "no temporary file left in the store" "$(temps)" 0
check "the quarantine is empty" quarantine_empty
check_eq "download of receipt $idx's file -> 200" \
	"$(iget alpha /v1/receipts/$idx/file $T/small.back)" 200
check "the download is the upload, byte for byte" cmp $T/small.txt $T/small.back

check_eq "the same content again -> 201" "$(iput beta evidence again.txt $T/small.txt $T/dup.json)" 201
check_eq "one blob for both" "$(find "$STORE" -type f | wc -l)" 1
check_eq "download of the duplicate's file -> 200" \
	"$(iget beta /v1/receipts/$(jget $T/dup.json index)/file $T/dup.back)" 200
check "the duplicate downloads byte for byte" cmp $T/small.txt $T/dup.back

randtext $BIG >$T/big.txt
check_eq "an upload of $BIG bytes -> 201" "$(iput alpha evidence big.txt $T/big.txt $T/big.json)" 201
check "its blob is in the store, whole" cmp $T/big.txt "$(blob_of $T/big.json)"
check_eq "download of the large file -> 200" \
	"$(iget alpha /v1/receipts/$(jget $T/big.json index)/file $T/big.back)" 200
check "the large download is the upload, byte for byte" cmp $T/big.txt $T/big.back

randtext 400000 >$T/resumable.txt
"$INTAKE" upload --url "https://localhost:$PORT" --kind evidence --chunk 64K \
	--cacert $PKI/ca.crt --cert $PKI/alpha.crt --key $PKI/alpha.key \
	$T/resumable.txt >$T/res.json 2>$T/res.err
rc=$?
check_eq "a resumable upload (intake upload) -> exit 0 ($(tail -n 1 $T/res.err))" $rc 0
check "its blob is in the store, whole" cmp $T/resumable.txt "$(blob_of $T/res.json)"
check_eq "download of the resumable upload's file -> 200" \
	"$(iget alpha /v1/receipts/$(jget $T/res.json index)/file $T/res.back)" 200
check "the resumable upload downloads byte for byte" cmp $T/resumable.txt $T/res.back
check_eq "still no temporary file in the store" "$(temps)" 0
check_eq "no partial upload left in DATA/uploads" "$(find "$RUN/data/uploads" -name '*.part' | wc -l)" 0

# ---------------------------------------------------------------- a second node, one store
# Node 2: its own data directory (ledger, quarantine, partial uploads), the same store. (The
# ledger is per node here, so each node's entries are unknown to the other's: what keeps one
# node's recovery from removing the other's fresh blobs is the grace period alone.)
N2=$T/node2
mkdir -p $N2
"$INTAKE" keygen "$ORIGIN" -o $N2/log.key >$N2/keygen.out 2>&1 || bail "keygen for node 2"
P2=$(freeport)
A2=$(freeport)
sed -e "s|^listen = .*|listen = 127.0.0.1:$P2|" -e "s|^admin  = .*|admin  = 127.0.0.1:$A2|" \
	-e "s|^data   = .*|data   = $N2/data|" -e "s|^key    = .*|key    = $N2/log.key|" \
	$RUN/intaked.conf >$N2/intaked.conf
if [ -n "${INTAKE_TEST_DSN:-}" ]; then     # on PostgreSQL: a database of node 2's own
	N1DSN=$PGDSN
	it_pg_newdb
	sed -i "s|^dsn     = .*|dsn     = ${PGDSN//&/\\&}|" $N2/intaked.conf
	PGDSN=$N1DSN
fi
n2_start() {
	local i
	(cd $N2 && exec setsid "$INTAKED" -c $N2/intaked.conf) >>$N2/daemon.log 2>&1 &
	N2PID=$!
	for ((i = 0; i < START_WAIT * 10; i++)); do
		kill -0 $N2PID 2>/dev/null || return 1
		[ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:$A2/healthz)" = 200 ] &&
			return 0
		sleep 0.1
	done
	return 1
}
n2_put() {      # n2_put NAME FILE OUT: PUT to node 2 as ALPHA; prints the status
	curl -s --max-time "$CURL_TIME" --resolve "localhost:$P2:127.0.0.1" --cacert $PKI/ca.crt \
		--cert $PKI/alpha.crt --key $PKI/alpha.key -o "$3" -w '%{http_code}' -T "$2" \
		"https://localhost:$P2/v1/submissions/evidence/$1"
}
n2_start || bail "node 2 did not start: $(tail -n 3 $N2/daemon.log)"
mkdir -p $T/two
for ((i = 0; i < 12; i++)); do
	randtext $(((20000 + i * 7919) * 4 / 3)) >$T/two/f$i.txt
done
# the same files to both nodes at once: each promotes (or finds) the same blobs
ok1=0 ok2=0
for ((i = 0; i < 12; i++)); do
	iput alpha evidence f$i.txt $T/two/f$i.txt $T/two/n1-$i.json >$T/two/n1-$i.code &
	n2_put f$i.txt $T/two/f$i.txt $T/two/n2-$i.json >$T/two/n2-$i.code &
done
wait_all() { local p; for p in $(jobs -p); do [ "$p" = "$DPID" ] || [ "$p" = "$N2PID" ] || wait $p; done; }
wait_all
for ((i = 0; i < 12; i++)); do
	[ "$(cat $T/two/n1-$i.code)" = 201 ] && ok1=$((ok1 + 1))
	[ "$(cat $T/two/n2-$i.code)" = 201 ] && ok2=$((ok2 + 1))
	for n in n1 n2; do     # what a failure was, for the log
		[ "$(cat $T/two/$n-$i.code)" = 201 ] ||
			note "f$i.txt to $n: $(cat $T/two/$n-$i.code) $(head -c 300 $T/two/$n-$i.json 2>/dev/null)"
	done
done
check_eq "12 uploads to node 1 while node 2 took the same: all 201" $ok1 12
check_eq "and the same 12 to node 2: all 201" $ok2 12
check_eq "one blob per content in the shared store" \
	"$(for ((i = 0; i < 12; i++)); do blob_of $T/two/n1-$i.json; done | sort -u | xargs ls 2>/dev/null | wc -l)" 12
check_eq "no temporary file left" "$(temps)" 0
# node 1 goes on storing while node 2 restarts; node 2's recovery must leave all of it
for ((i = 0; i < 6; i++)); do
	randtext $(((30000 + i * 104729) * 4 / 3)) >$T/two/g$i.txt
done
(for ((i = 0; i < 6; i++)); do
	iput alpha evidence g$i.txt $T/two/g$i.txt $T/two/g$i.json >$T/two/g$i.code
	sleep 0.2
done) &
busy=$!
n2_stop
check_eq "node 2 exits 0 on SIGTERM" "$N2EXIT" 0
n2_start || bail "node 2 did not come back: $(tail -n 3 $N2/daemon.log)"
wait $busy
gone=0
for ((i = 0; i < 6; i++)); do
	[ "$(cat $T/two/g$i.code)" = 201 ] && [ -f "$(blob_of $T/two/g$i.json)" ] || gone=$((gone + 1))
done
for ((i = 0; i < 12; i++)); do [ -f "$(blob_of $T/two/n1-$i.json)" ] || gone=$((gone + 1)); done
check_eq "node 2's restart left every blob node 1 stored (missing)" $gone 0
check "node 2's recovery left them as young, unreferenced in its own ledger" \
	grep -q 'younger than 3600 s left in the shared store' $N2/daemon.log
bad=0
for ((i = 0; i < 12; i++)); do
	j=$(jget $T/two/n1-$i.json index)
	[ "$(iget alpha /v1/receipts/$j/file $T/two/back)" = 200 ] && cmp -s $T/two/back $T/two/f$i.txt ||
		bad=$((bad + 1))
done
check_eq "node 1 serves all 12 back byte for byte (bad)" $bad 0
n2_stop
check_eq "node 2 exits 0 on SIGTERM" "$N2EXIT" 0
check "no sanitizer report in node 2's log" \
	bash -c '! grep -E "(Address|Leak|UndefinedBehavior|Memory|Thread)Sanitizer|runtime error:" "$1"' _ $N2/daemon.log


# ---------------------------------------------------------------- the start-up sweep
it_stop
h_old=$(printf 'old orphan' | sha256sum | cut -c1-64)
h_young=$(printf 'young orphan' | sha256sum | cut -c1-64)
plant() { mkdir -p "$(dirname "$1")" && printf '%s' "$2" >"$1" && chmod 444 "$1" && chown intaked: "$1"; }
plant $STORE/${h_old:0:2}/$h_old 'old orphan'
plant $STORE/${h_young:0:2}/$h_young 'young orphan'
plant $STORE/ab/.tmp-00112233445566778899aabbccddeeff 'a copy a crash cut short'
plant $STORE/ab/.tmp-ffeeddccbbaa99887766554433221100 'a copy in progress'
touch -h -d '-2 hours' $STORE/${h_old:0:2}/$h_old $STORE/ab/.tmp-00112233445566778899aabbccddeeff
touch -h -d '-10 minutes' $STORE/${h_young:0:2}/$h_young
touch -h -d '-3 hours' "$(blob_of $T/small.json)" "$(blob_of $T/big.json)"
# this node's leftover upload, and node 2's (in its own data directory)
printf 'stale' >$RUN/data/quarantine/q-00000000000000000000000000000000
printf 'theirs' >$N2/data/quarantine/q-11111111111111111111111111111111
it_launch || bail "intaked did not come back: $(tail -n 3 $RUN/daemon.log)"
check "an orphan blob older than the grace period is removed" [ ! -e $STORE/${h_old:0:2}/$h_old ]
check "a young orphan blob stays (another node may be committing it)" \
	[ -f $STORE/${h_young:0:2}/$h_young ]
check "an old temporary file is removed" [ ! -e $STORE/ab/.tmp-00112233445566778899aabbccddeeff ]
check "a young temporary file stays" [ -f $STORE/ab/.tmp-ffeeddccbbaa99887766554433221100 ]
check "accepted blobs stay, however old" \
	bash -c '[ -f "$1" ] && [ -f "$2" ]' _ "$(blob_of $T/small.json)" "$(blob_of $T/big.json)"
check "this node's quarantine was emptied" quarantine_empty
check "node 2's quarantine is not touched" [ -f $N2/data/quarantine/q-11111111111111111111111111111111 ]
check "recovery said what it left" grep -q 'younger than 3600 s left in the shared store' $RUN/daemon.log
check_eq "after the restart: download -> 200" "$(iget alpha /v1/receipts/$idx/file $T/small.back2)" 200
check "and byte for byte" cmp $T/small.txt $T/small.back2

it_stop
rm -f $STORE/${h_young:0:2}/$h_young $STORE/ab/.tmp-ffeeddccbbaa99887766554433221100

# ---------------------------------------------------------------- offline audit
out=$("$INTAKE" audit --vkey "$(cat $VKEY)" --data $RUN/data ${PGDSN:+--dsn "$PGDSN"} --store $STORE 2>&1)
rc=$?
check_eq "intake audit --data DATA --store STORE passes ($(printf '%s' "$out" | tail -n 1))" $rc 0
check "it checked node 1's 22 files" grep -q '22 files verified' <<<"$out"
"$INTAKE" audit --vkey "$(cat $VKEY)" --data $RUN/data ${PGDSN:+--dsn "$PGDSN"} >$T/nostore.out 2>&1
check_eq "without --store it looks in DATA/store and finds no file" $? 1
check "and says so" grep -q 'stored file missing' $T/nostore.out
b=$(blob_of $T/big.json)
# '#' is never in base64 text: the byte is changed, whatever was there
chmod 644 "$b" && printf '#' | dd of="$b" bs=1 seek=100 conv=notrunc 2>/dev/null
check "the blob was changed" bash -c '! cmp -s "$1" "$2"' _ $T/big.txt "$b"
"$INTAKE" audit --vkey "$(cat $VKEY)" --data $RUN/data ${PGDSN:+--dsn "$PGDSN"} --store $STORE >$T/altered.out 2>&1
check_eq "a blob altered in the store: the audit fails" $? 1
check "and names it" grep -q 'stored file altered' $T/altered.out

# ---------------------------------------------------------------- configuration errors
sed -i "s|^path = .*|path = $RUN/data/quarantine/blobs|" "$RUN/intaked.conf"
"$INTAKED" -t -c "$RUN/intaked.conf" >$T/t.out 2>&1
check_eq "intaked -t refuses a store inside the quarantine" $? 1
line=$(grep -n '^path = ' "$RUN/intaked.conf" | cut -d: -f1)
check "naming FILE:LINE" grep -q "intaked.conf:$line: key 'path': within the data directory's quarantine" $T/t.out
summary
