#!/bin/bash
# tests/integration/bigupload.sh: a 2 GiB upload with bounded memory (issue 2).
#
# 2 GiB of text evidence, sent with a Content-Length, must be answered 201 with the file's
# SHA-256 in a receipt Go verifies, while the daemon's peak resident set (VmHWM) stays under
# RSS_MAX: the body is streamed to the quarantine, never held. Under a sanitizer build the
# upload still runs but the bound is not checked (the sanitizers' shadow memory dwarfs it).
# The 2 GiB file and the daemon's stored copy live in the scratch directory, removed on exit.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SIZE=$((2 * 1024 * 1024 * 1024))        # bytes uploaded
RSS_MAX=$((64 * 1024))                  # KiB: peak RSS allowed to the daemon
UPLOAD_TIME=600                         # seconds allowed for the upload

it_start big
below() { [ -n "$1" ] && [ "$1" -lt "$2" ]; }
# the peak RSS of the processes an upload goes through (parent, front, notary) together;
# hwm_all adds the inspectors (each maps its own copy of the libmagic database)
hwm() {
	local p t=0 v
	for p in $DPID $(pgrep -P $DPID); do
		v=$(awk '/^VmHWM:/ { print $2 }' /proc/$p/status 2>/dev/null)
		t=$((t + ${v:-0}))
	done
	echo $t
}
hwm_all() {
	local p t=0 v
	for p in $(pgrep -g $DPID); do
		v=$(awk '/^VmHWM:/ { print $2 }' /proc/$p/status 2>/dev/null)
		t=$((t + ${v:-0}))
	done
	echo $t
}
rss0=$(hwm)

SECONDS=0
SUM=$(yes 'evidence line' | head -c $SIZE | tee $T/big.txt | sha256sum | cut -d' ' -f1)
note "made $SIZE bytes of text in ${SECONDS}s"
SECONDS=0
code=$(CURL_TIME=$UPLOAD_TIME iput alpha evidence big.txt $T/big.txt $T/big.json)
t=$SECONDS
rss1=$(hwm)
note "all of the daemon's processes, inspectors included: VmHWM sum $(hwm_all) KiB (shared library pages counted once per process)"
note "upload answered $code in ${t}s; daemon's processes' VmHWM ${rss0} KiB at start, ${rss1} KiB after"
check_eq "2 GiB text evidence -> 201" "$code" 201
check_eq "2 GiB: answer's size" "$(jget $T/big.json size)" $SIZE
check_eq "2 GiB: answer's sha256 is the file's" "$(jget $T/big.json sha256)" "$SUM"
check "2 GiB: Go verifies the receipt and re-hashes the file" goverify receipt $VKEY $T/big.json $T/big.txt
if it_asan; then
	note "sanitizer build: peak RSS bound not checked (ASan shadow memory inflates RSS)"
else
	check "2 GiB: daemon's peak RSS ${rss1} KiB < $RSS_MAX KiB" below "$rss1" $RSS_MAX
fi
rm -f $T/big.txt
check "daemon alive after the upload" it_alive
it_stop
summary
