#!/bin/bash
# tests/integration/diskfull.sh: a full disk (issue 6), against the real daemon on loopback.
#
# The data directory is a small tmpfs the test mounts (as root; unmounted on exit). With a
# filler file leaving less room than an upload needs, the quarantine write fails: 507, nothing
# recorded, the quarantine empty, the daemon still serving; with the filler gone the same upload
# is 201. Then the ledger's turn: the disk filled to the last page, one page freed, a tiny
# upload: its quarantine file fits, SQLite's commit cannot grow the WAL -> 507 (or 500) with
# nothing recorded and no blob left in the store; repeated (bounded) until it happens, since
# SQLite may still have room in pages it holds. Afterwards, with space back, uploads are 201
# again and, offline, `intake audit --data` passes. Skipped (exit 77) when not root.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FS_SIZE=8m                              # the tmpfs
PAGE=4096                               # tmpfs allocation unit (bytes)
LEDGER_TRIES=60                         # uploads tried to make the ledger commit hit ENOSPC

MNT=
df_cleanup() {
	local rc=$?
	it_stop quiet
	[ -n "$MNT" ] && mountpoint -q "$MNT" && umount "$MNT"
	(exit $rc)
	it_cleanup
}
trap df_cleanup EXIT

if [ "$(id -u)" != 0 ]; then
	echo "# diskfull.sh needs root to mount a tmpfs; skipped"
	exit 77
fi

free_bytes() { df -B1 --output=avail "$MNT" | tail -n 1 | tr -d ' '; }
quarantine_empty() { [ -z "$(ls -A "$MNT/quarantine" 2>/dev/null)" ] || { ls -la "$MNT/quarantine"; return 1; }; }
# fill: the filler file grows until the tmpfs is full
fill() { dd if=/dev/zero bs=$PAGE >>"$MNT/filler" 2>/dev/null; sync; }
stored_blobs() { find "$MNT/store" -type f | wc -l; }
# the notary deletes a small upload's stash row 200 ms after the last upload (a ledger write
# of its own, which would take the page freed for the next try): wait for it (bounded)
stash_drained() {
	local i
	[ -z "${PGDSN:-}" ] || return 0
	for ((i = 0; i < 100; i++)); do
		[ "$(sqlite3 -readonly "file:$MNT/ledger.db?mode=ro" 'SELECT count(*) FROM stash' 2>/dev/null)" = 0 ] && return 0
		sleep 0.05
	done
	note "the stash was not drained within 5 s"
}

[ -n "$PKI" ] || it_pki
it_config diskfull
MNT=$RUN/data
mkdir -p "$MNT"
mount -t tmpfs -o size=$FS_SIZE,mode=0700 tmpfs "$MNT" || bail "cannot mount a tmpfs on $MNT"
it_launch || bail "intaked did not start on the tmpfs: $(tail -n 3 $RUN/daemon.log)"
note "tmpfs $FS_SIZE at $MNT, $(free_bytes) bytes free after start"

# ---------------------------------------------------------------- the quarantine is full
printf 'first upload, before the disk fills\n' >$T/small.txt
check_eq "an upload on the empty tmpfs -> 201" "$(iput alpha evidence small.txt $T/small.txt $T/s0.json)" 201
N=$(log_size)
yes 'evidence line' | head -c 3000000 >$T/big.txt
head -c $(($(free_bytes) - 1024 * 1024)) /dev/zero >"$MNT/filler"
note "filler leaves $(free_bytes) bytes for a 3000000-byte upload"
code=$(iput alpha evidence big.txt $T/big.txt $T/full.json)
check_eq "upload larger than the free space -> 507" "$code" 507
check "the 507 says nothing was recorded" grep -q 'nothing was recorded' $T/full.json
check_eq "507: checkpoint unchanged" "$(log_size)" $N
check "507: quarantine empty" quarantine_empty
check "507: the daemon logged the failed write" grep -qiE 'quarantine.*No space left' $RUN/daemon.log
check_eq "the daemon keeps serving: GET checkpoint -> 200" "$(iget beta /v1/log/checkpoint /dev/null)" 200
printf 'a small one fits\n' >$T/tiny.txt
check_eq "a small upload that fits while the disk is nearly full -> 201" \
	"$(iput beta evidence tiny.txt $T/tiny.txt $T/tiny.json)" 201
N=$(log_size)
rm -f "$MNT/filler"
code=$(iput alpha evidence big.txt $T/big.txt $T/big.json)
check_eq "filler removed: the same upload -> 201" "$code" 201
check "its receipt and file verify with Go" goverify receipt $VKEY $T/big.json $T/big.txt
N=$(log_size)

# ---------------------------------------------------------------- the ledger is full
# Each try: fill the tmpfs, free one page, upload a tiny accepted file (its quarantine file
# takes that page). Until SQLite must grow a file, the commit succeeds; then it must fail.
# A PostgreSQL ledger is not on this disk: that case is not made then.
hit= tries=0
[ -z "${PGDSN:-}" ] || { note "PostgreSQL ledger: the full ledger disk is not made"; LEDGER_TRIES=0; }
for ((i = 1; i <= LEDGER_TRIES; i++)); do
	tries=$i
	stash_drained
	fill
	truncate -s -$PAGE "$MNT/filler"
	printf 'ledger-full try %d\n' $i >$T/l$i.txt
	before=$(stored_blobs)
	code=$(iput alpha evidence l$i.txt $T/l$i.txt $T/l$i.json)
	case $code in
	201) N=$((N + 1)) ;;
	*) hit=$code; break ;;
	esac
done
note "ledger full after $tries tries: answer ${hit:-none}; $(grep -E 'not recorded|No space|disk is full|SQLITE' $RUN/daemon.log | tail -n 2 | tr '\n' '|')"
if [ -n "${PGDSN:-}" ]; then
	:
elif [ -z "$hit" ]; then
	check "the ledger commit hit ENOSPC within $LEDGER_TRIES tries (could not trigger)" false
else
	check "ledger commit without space -> 507 or 500 (got $hit)" bash -c '[ "$1" = 507 ] || [ "$1" = 500 ]' _ "$hit"
	check_eq "ledger full: answer is 507 (ENOSPC mapped)" "$hit" 507
	check_eq "ledger full: checkpoint unchanged" "$(log_size)" $N
	check_eq "ledger full: the blob did not stay in the store" "$(stored_blobs)" "$before"
	check "ledger full: quarantine empty" quarantine_empty
	check "ledger full: the daemon logged the unrecorded batch" grep -q 'was not recorded' $RUN/daemon.log
	check "the daemon is alive" it_alive
	check_eq "disk still full: GET checkpoint -> 200" "$(iget beta /v1/log/checkpoint /dev/null)" 200
fi
rm -f "$MNT/filler"
printf 'space is back\n' >$T/back.txt
code=$(iput alpha evidence back.txt $T/back.txt $T/back.json)
check_eq "space back: upload -> 201 without a restart" "$code" 201
check "its receipt and file verify with Go" goverify receipt $VKEY $T/back.json $T/back.txt
[ "$code" = 201 ] && N=$((N + 1))
check_eq "the checkpoint counts exactly the recorded uploads" "$(log_size)" $N
if [ -n "$hit" ]; then
	code=$(iput alpha evidence l$tries.txt $T/l$tries.txt $T/again.json)
	check_eq "the upload refused for lack of space, sent again -> 201" "$code" 201
	[ "$code" = 201 ] && N=$((N + 1))
fi
it_stop
out=$("$INTAKE" audit --vkey "$(cat $VKEY)" --data "$MNT" ${PGDSN:+--dsn "$PGDSN"} 2>&1)
rc=$?
note "intake audit --data: $(printf '%s' "$out" | tail -n 2)"
check_eq "intake audit --data passes after the disk-full cases" "$rc" 0
it_launch || bail "intaked did not restart on the tmpfs: $(tail -n 3 $RUN/daemon.log)"
check_eq "after a restart the log still holds $N entries" "$(log_size)" $N
it_stop
summary
