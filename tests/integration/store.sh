#!/bin/bash
# tests/integration/store.sh: a content store apart from the data directory ([store] path), on
# another filesystem than the node's quarantine, against the real daemon on loopback.
#
# The store is a tmpfs the test mounts (as root; unmounted on exit), the data directory stays in
# the scratch directory: promotion cannot rename across them (EXDEV) and copies. Uploads (a
# small one, a duplicate, one of several MiB, a resumable one with `intake upload`) are 201,
# their blobs are in the configured store (mode 0444, [server] user's) and nowhere in DATA, no
# temporary file is left, each downloads back byte for byte from /v1/receipts/{i}/file. Then
# the start-up sweep of a shared store: an old orphan blob and an old .tmp- file go, a young
# orphan and a young .tmp- file stay (another node may be about to commit them), accepted blobs
# stay however old, this node's quarantine is emptied and another node's is not touched.
# Offline, `intake audit --data DATA --store STORE` passes and fails once a blob is altered.
# `intaked -t` refuses a [store] path inside the quarantine with FILE:LINE. Skipped (exit 77)
# when not root or when no tmpfs can be mounted.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FS_SIZE=64m                             # the store's tmpfs
BIG=$((5 * 1024 * 1024 + 4321))         # bytes of the large upload: many copy buffers

MNT=
st_cleanup() {
	local rc=$?
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

head -c $((BIG * 3 / 4)) /dev/urandom | base64 -w 76 | head -c $BIG >$T/big.txt
check_eq "an upload of $BIG bytes -> 201" "$(iput alpha evidence big.txt $T/big.txt $T/big.json)" 201
check "its blob is in the store, whole" cmp $T/big.txt "$(blob_of $T/big.json)"
check_eq "download of the large file -> 200" \
	"$(iget alpha /v1/receipts/$(jget $T/big.json index)/file $T/big.back)" 200
check "the large download is the upload, byte for byte" cmp $T/big.txt $T/big.back

head -c 300000 /dev/urandom | base64 -w 76 >$T/resumable.txt
"$INTAKE" upload --url "https://localhost:$PORT" --kind evidence --chunk 64K \
	--cacert $PKI/ca.crt --cert $PKI/alpha.crt --key $PKI/alpha.key \
	$T/resumable.txt >$T/res.json 2>$T/res.err
check_eq "a resumable upload (intake upload) -> exit 0 ($(tail -n 1 $T/res.err))" $? 0
check "its blob is in the store, whole" cmp $T/resumable.txt "$(blob_of $T/res.json)"
check_eq "download of the resumable upload's file -> 200" \
	"$(iget alpha /v1/receipts/$(jget $T/res.json index)/file $T/res.back)" 200
check "the resumable upload downloads byte for byte" cmp $T/resumable.txt $T/res.back
check_eq "still no temporary file in the store" "$(temps)" 0
check_eq "no partial upload left in DATA/uploads" "$(find "$RUN/data/uploads" -name '*.part' | wc -l)" 0

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
# this node's leftover upload, and another node's (its own data directory)
printf 'stale' >$RUN/data/quarantine/q-00000000000000000000000000000000
mkdir -p $T/node2/quarantine
printf 'theirs' >$T/node2/quarantine/q-11111111111111111111111111111111
it_launch || bail "intaked did not come back: $(tail -n 3 $RUN/daemon.log)"
check "an orphan blob older than the grace period is removed" [ ! -e $STORE/${h_old:0:2}/$h_old ]
check "a young orphan blob stays (another node may be committing it)" \
	[ -f $STORE/${h_young:0:2}/$h_young ]
check "an old temporary file is removed" [ ! -e $STORE/ab/.tmp-00112233445566778899aabbccddeeff ]
check "a young temporary file stays" [ -f $STORE/ab/.tmp-ffeeddccbbaa99887766554433221100 ]
check "accepted blobs stay, however old" \
	bash -c '[ -f "$1" ] && [ -f "$2" ]' _ "$(blob_of $T/small.json)" "$(blob_of $T/big.json)"
check "this node's quarantine was emptied" quarantine_empty
check "another node's quarantine is not touched" [ -f $T/node2/quarantine/q-11111111111111111111111111111111 ]
check "recovery said what it left" grep -q 'younger than 3600 s left in the shared store' $RUN/daemon.log
check_eq "after the restart: download -> 200" "$(iget alpha /v1/receipts/$idx/file $T/small.back2)" 200
check "and byte for byte" cmp $T/small.txt $T/small.back2
it_stop
rm -f $STORE/${h_young:0:2}/$h_young $STORE/ab/.tmp-ffeeddccbbaa99887766554433221100

# ---------------------------------------------------------------- offline audit
out=$("$INTAKE" audit --vkey "$(cat $VKEY)" --data $RUN/data --store $STORE 2>&1)
check_eq "intake audit --data DATA --store STORE passes ($(printf '%s' "$out" | tail -n 1))" $? 0
check "it checked the four files" grep -q '4 files verified' <<<"$out"
"$INTAKE" audit --vkey "$(cat $VKEY)" --data $RUN/data >$T/nostore.out 2>&1
check_eq "without --store it looks in DATA/store and finds no file" $? 1
check "and says so" grep -q 'stored file missing' $T/nostore.out
b=$(blob_of $T/big.json)
chmod 644 "$b" && printf 'X' | dd of="$b" bs=1 seek=100 conv=notrunc 2>/dev/null
"$INTAKE" audit --vkey "$(cat $VKEY)" --data $RUN/data --store $STORE >$T/altered.out 2>&1
check_eq "a blob altered in the store: the audit fails" $? 1
check "and names it" grep -q 'stored file altered' $T/altered.out

# ---------------------------------------------------------------- configuration errors
sed -i "s|^path = .*|path = $RUN/data/quarantine/blobs|" "$RUN/intaked.conf"
"$INTAKED" -t -c "$RUN/intaked.conf" >$T/t.out 2>&1
check_eq "intaked -t refuses a store inside the quarantine" $? 1
line=$(grep -n '^path = ' "$RUN/intaked.conf" | cut -d: -f1)
check "naming FILE:LINE" grep -q "intaked.conf:$line: key 'path': within the data directory's quarantine" $T/t.out
summary
