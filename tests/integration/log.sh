#!/bin/bash
# tests/integration/log.sh: the receipt log (issue 3) against the real daemon on loopback.
#
# Checkpoints and consistency proofs that Go's x/mod verifies; each role sees what it may
# (a Party only its own receipts, another's being a 404 like a missing one); listings count
# exactly; the C2SP tiles rebuild the tree; concurrent uploads get contiguous indices; after a
# clean restart and after kill -9 the tree is unchanged and the next index continues.
# `intake audit --url` keeps a state across restarts and refuses a rollback (a fresh log, a
# replayed old checkpoint), a fork (a second log with the same key) and a bad signature, also
# when a server misbehaves on the wire; `intake audit --data` reports a tampered entry row,
# receipt, column, tree hash, checkpoint, or a missing or altered stored file, by index;
# `intake links` prints a workbook's report (table, CSV without formula injection) by role.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CONCURRENT=16                           # simultaneous uploads in the group-commit check

# idx_list FILE: the "index" of each item of a listing ({"receipts":[...]}), space-separated
idx_list() {
	$PY -c 'import json,sys
try: d = json.load(open(sys.argv[1])); l = d["receipts"]
except Exception: sys.exit(1)
print(" ".join(str(r.get("index")) for r in l))' "$1"
}
# parties_in FILE: the distinct parties of a listing
parties_in() {
	$PY -c 'import json,sys
try: l = json.load(open(sys.argv[1]))["receipts"]
except Exception: sys.exit(1)
print(" ".join(sorted(set(str(r.get("party")) for r in l))))' "$1"
}
cp_get() { iget audit /v1/log/checkpoint "$1" >/dev/null; }
# same_cp A B: two checkpoints that verify and name the same size and root
same_cp() {
	local a b
	a=$(goverify checkpoint $VKEY "$1") && b=$(goverify checkpoint $VKEY "$2") && [ -n "$a" ] && [ "$a" = "$b" ]
}

# refused_line WANT CMD...: CMD exits 1 with ONE line on stderr, containing WANT
refused_line() {
	local want=$1 err rc
	shift
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	[ $rc = 1 ] || { echo "exit $rc: $err"; return 1; }
	[ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || { echo "stderr is not one line: $err"; return 1; }
	case $err in *"$want"*) return 0 ;; esac
	echo "stderr: $err"
	return 1
}
# audit_url STATE [URL]: intake audit --url as AUDIT; stdout in $T/audit.out, stderr $T/audit.err
audit_url() {
	"$INTAKE" audit --vkey "$VKEY" --url "${2:-$U}" --state "$1" --cacert "$PKI/ca.crt" \
		--cert "$PKI/audit.crt" --key "$PKI/audit.key" >$T/audit.out 2>$T/audit.err
}
# audit_ok STATE WANT [URL]: the audit passes and prints one line containing WANT
audit_ok() {
	audit_url "$1" "${3:-$U}"
	local rc=$?
	[ $rc = 0 ] || { echo "exit $rc: $(cat $T/audit.err)"; return 1; }
	[ "$(wc -l <$T/audit.out)" = 1 ] && grep -qF -- "$2" $T/audit.out || { cat $T/audit.out; return 1; }
}
# audit_refused STATE WANT [URL]: exit 1, ONE line on stderr containing WANT, STATE unchanged
audit_refused() {
	local before after
	before=$(sha256sum <"$1" 2>/dev/null)
	audit_url "$1" "${3:-$U}"
	local rc=$?
	after=$(sha256sum <"$1" 2>/dev/null)
	[ $rc = 1 ] || { echo "exit $rc: $(cat $T/audit.out $T/audit.err)"; return 1; }
	[ "$(wc -l <$T/audit.err)" = 1 ] || { echo "stderr is not one line:"; cat $T/audit.err; return 1; }
	grep -qF -- "$2" $T/audit.err || { echo "stderr: $(cat $T/audit.err)"; return 1; }
	[ "$before" = "$after" ] || { echo "the state file was changed"; return 1; }
}
it_start log
U=https://localhost:$PORT
for i in $(seq 1 12); do
	printf 'evidence note %d\n' $i >$T/n$i.txt
	c=alpha
	[ $((i % 3)) = 0 ] && c=beta
	code=$(iput $c evidence n$i.txt $T/n$i.txt $T/u$i.json)
	[ "$code" = 201 ] || check_eq "upload $i as $c" "$code" 201
	[ $i = 5 ] && cp_get $T/cp5
done
cp_get $T/cp12
check_eq "checkpoint after 5 uploads" "$(goverify checkpoint $VKEY $T/cp5 | cut -d' ' -f1)" 5
check_eq "checkpoint after 12 uploads" "$(goverify checkpoint $VKEY $T/cp12 | cut -d' ' -f1)" 12
code=$(iget audit "/v1/log/consistency?old=5&new=12" $T/cons)
check_eq "GET consistency 5 -> 12" "$code" 200
check "consistency 5 -> 12 verifies with Go's tlog.CheckTree" goverify consistency $VKEY $T/cp5 $T/cp12 $T/cons
check "a consistency proof does not prove the wrong pair" refuses goverify consistency $VKEY $T/cp5 $T/cp5 $T/cons
code=$(iget audit "/v1/log/consistency?old=12&new=12" $T/cons0)
check "consistency 12 -> 12 is empty and verifies (got $code)" \
	bash -c '[ "$1" = 200 ] && [ ! -s "$2" ]' _ "$code" $T/cons0
code=$(iget audit "/v1/log/consistency?old=12&new=5" /dev/null)
check "consistency with old > new is refused (got $code)" bash -c '[ "$1" -ge 400 ] && [ "$1" -lt 500 ]' _ "$code"
code=$(iget audit "/v1/log/consistency?old=5&new=13" /dev/null)
check "consistency beyond the tree is refused (got $code)" bash -c '[ "$1" -ge 400 ] && [ "$1" -lt 500 ]' _ "$code"

# ---------------------------------------------------------------- intake audit --url
check "intake audit: first run saves the state" audit_ok $T/audit.state "OK size 12 root "
check "the saved state is the signed checkpoint" same_cp $T/audit.state $T/cp12
cp $T/audit.state $T/state12
check "intake audit: unchanged log is consistent" audit_ok $T/audit.state "(consistent with saved size 12)"
"$INTAKE" keygen "$ORIGIN" -o $T/other.key >$T/other.vkey 2>/dev/null
check "intake audit: a checkpoint not signed by VKEY is refused (bad signature), nothing saved" \
	bash -c '[ -s "$2" ] && "$1" audit --vkey "$(head -n 1 "$2")" --url "$3" --state "$4" \
		--cacert "$5/ca.crt" --cert "$5/audit.crt" --key "$5/audit.key" >/dev/null 2>"$4.err"
		[ $? = 1 ] && [ "$(wc -l <"$4.err")" = 1 ] && grep -q "^intake audit: bad signature" "$4.err" &&
		[ ! -e "$4" ] || { cat "$4.err"; false; }' _ "$INTAKE" $T/other.vkey "$U" $T/state-other "$PKI"
check "intake audit: a server certificate from another CA is refused" \
	refused_line "server certificate refused" "$INTAKE" audit --vkey $VKEY --url "$U" \
	--state $T/state-rogue --cacert $PKI/rogue-ca.crt --cert $PKI/audit.crt --key $PKI/audit.key
check "intake audit: without a client certificate the gateway refuses" \
	refused_line "no client certificate was given" "$INTAKE" audit --vkey $VKEY --url "$U" \
	--state $T/state-nocert --cacert $PKI/ca.crt
check "intake audit: plain http:// is refused" refused_line "https://" "$INTAKE" audit --vkey $VKEY \
	--url "http://localhost:$PORT" --state $T/state-http
check_eq "intake audit: a bad command line is a usage error" \
	"$("$INTAKE" audit --vkey $VKEY --url "$U" >/dev/null 2>&1; echo $?)" 2

# ---------------------------------------------------------------- roles
IA=$(jget $T/u1.json index) IB=$(jget $T/u3.json index)
code=$(iget alpha /v1/receipts/$IA $T/g1.json)
check_eq "ALPHA reads its own receipt" "$code" 200
check "the fetched receipt's fresh proof and the file verify with Go" goverify receipt $VKEY $T/g1.json $T/n1.txt
check_eq "BETA reading ALPHA's receipt -> 404" "$(iget beta /v1/receipts/$IA /dev/null)" 404
check_eq "BETA reading a missing receipt -> 404 (indistinguishable)" "$(iget beta /v1/receipts/999999 /dev/null)" 404
check_eq "SECAS reads any receipt" "$(iget secas /v1/receipts/$IB $T/gs.json)" 200
check "SECAS's copy verifies with Go" goverify receipt $VKEY $T/gs.json $T/n3.txt
check_eq "AUDIT reads any receipt" "$(iget audit /v1/receipts/$IA /dev/null)" 200
check_eq "a non-canonical index (leading zero) -> 4xx, not a receipt" \
	"$(iget alpha /v1/receipts/0$IA /dev/null | cut -c1)" 4
iget audit "/v1/receipts?party=BETA" $T/lb.json >/dev/null
check_eq "AUDIT lists BETA's receipts" "$(idx_list $T/lb.json | wc -w)" 4
check_eq "that listing holds only BETA" "$(parties_in $T/lb.json)" BETA
iget alpha "/v1/receipts" $T/la.json >/dev/null
check_eq "ALPHA's listing counts its own 8" "$(idx_list $T/la.json | wc -w)" 8
check_eq "ALPHA's listing holds only ALPHA" "$(parties_in $T/la.json)" ALPHA
iget alpha "/v1/receipts?party=BETA" $T/lab.json >/dev/null
check "ALPHA asking for BETA's receipts sees none of them" \
	bash -c '! grep -q BETA "$1"' _ $T/lab.json
iget secas "/v1/receipts?limit=5" $T/p1.json >/dev/null
p1=$(idx_list $T/p1.json)
last=${p1##* }
iget secas "/v1/receipts?limit=5&after=$last" $T/p2.json >/dev/null
p2=$(idx_list $T/p2.json)
check_eq "paging: limit=5, then after=$last" "$p1 | $p2" "0 1 2 3 4 | 5 6 7 8 9"

# role_matrix: every GET endpoint as every role (ALPHA's receipt IA, BETA's IB)
listing() { iget "$1" "$2" $T/lst.json >/dev/null && echo "$(idx_list $T/lst.json | wc -w):$(parties_in $T/lst.json)"; }
for who in alpha beta secas audit; do
	check_eq "$who: GET checkpoint" "$(iget $who /v1/log/checkpoint /dev/null)" 200
	check_eq "$who: GET consistency" "$(iget $who "/v1/log/consistency?old=5&new=12" /dev/null)" 200
	check_eq "$who: GET hash tile" "$(iget $who /v1/log/tile/0/000.p/12 /dev/null)" 200
done
for who in alpha beta; do
	check_eq "$who: GET entry tile -> 404 (Parties may not read entry bundles)" \
		"$(iget $who /v1/log/tile/entries/000.p/12 /dev/null)" 404
done
for who in secas audit; do
	check_eq "$who: GET entry tile" "$(iget $who /v1/log/tile/entries/000.p/12 /dev/null)" 200
done
check_eq "ALPHA reading BETA's receipt -> 404" "$(iget alpha /v1/receipts/$IB /dev/null)" 404
check_eq "BETA reads its own receipt" "$(iget beta /v1/receipts/$IB /dev/null)" 200
check_eq "AUDIT reads BETA's receipt" "$(iget audit /v1/receipts/$IB /dev/null)" 200
check_eq "SECAS reads ALPHA's receipt" "$(iget secas /v1/receipts/$IA /dev/null)" 200
check_eq "BETA's listing: its own 4" "$(listing beta /v1/receipts)" "4:BETA"
check_eq "BETA asking for ALPHA's: none" "$(listing beta "/v1/receipts?party=ALPHA")" "0:"
check_eq "ALPHA asking for BETA's: none" "$(listing alpha "/v1/receipts?party=BETA")" "0:"
check_eq "SECAS lists all 12" "$(listing secas /v1/receipts)" "12:ALPHA BETA"
check_eq "AUDIT lists all 12" "$(listing audit /v1/receipts)" "12:ALPHA BETA"
check_eq "SECAS lists ALPHA's 8" "$(listing secas "/v1/receipts?party=ALPHA")" "8:ALPHA"
check_eq "a connection without a client certificate gets no answer" \
	"$(iget none /v1/log/checkpoint /dev/null)" 000

# ---------------------------------------------------------------- tiles
check "C2SP tiles rebuild the tree (Go, as AUDIT)" \
	goverify tiles $VKEY $U $PKI/ca.crt $PKI/audit.crt $PKI/audit.key
code=$(iget alpha /v1/log/tile/entries/000.p/12 /dev/null)
check "a Party may not read entry bundles (got $code)" bash -c '[ "$1" = 403 ] || [ "$1" = 404 ]' _ "$code"

# ---------------------------------------------------------------- concurrency, group commit
pids=()
for j in $(seq 1 $CONCURRENT); do
	printf 'concurrent evidence %d\n' $j >$T/c$j.txt
	iput alpha evidence c$j.txt $T/c$j.txt $T/c$j.json >$T/c$j.code &
	pids+=($!)
done
wait "${pids[@]}"
ok=0
for j in $(seq 1 $CONCURRENT); do
	[ "$(cat $T/c$j.code)" = 201 ] && goverify receipt $VKEY $T/c$j.json $T/c$j.txt >/dev/null 2>&1 && ok=$((ok + 1))
done
check_eq "$CONCURRENT concurrent uploads: receipts that verify" $ok $CONCURRENT
idx=$(for j in $(seq 1 $CONCURRENT); do jget $T/c$j.json index; done | sort -n | tr '\n' ' ')
check_eq "concurrent uploads got contiguous indices" "$idx" "$(seq 12 $((11 + CONCURRENT)) | tr '\n' ' ')"
TOTAL=$((12 + CONCURRENT))
check_eq "checkpoint counts them" "$(log_size)" $TOTAL

# ---------------------------------------------------------------- restarts
cp_get $T/before
it_restart
cp_get $T/after
check "clean restart: the checkpoint is unchanged" same_cp $T/before $T/after
printf 'after restart\n' >$T/r1.txt
check_eq "upload after restart -> 201" "$(iput alpha evidence r1.txt $T/r1.txt $T/ar1.json)" 201
check_eq "the index continues" "$(jget $T/ar1.json index)" $TOTAL
cp_get $T/after1
iget audit "/v1/log/consistency?old=$TOTAL&new=$((TOTAL + 1))" $T/cons-r >/dev/null
check "consistency across the restart verifies with Go" goverify consistency $VKEY $T/before $T/after1 $T/cons-r
check "intake audit after a clean restart: consistent with the saved state" \
	audit_ok $T/audit.state "(consistent with saved size 12)"
it_restart kill
cp_get $T/after-kill
check "kill -9 restart: the checkpoint is unchanged" same_cp $T/after1 $T/after-kill
check_eq "after kill -9, receipt $TOTAL is still served" "$(iget audit /v1/receipts/$TOTAL $T/k.json)" 200
check "after kill -9, it verifies with the file" goverify receipt $VKEY $T/k.json $T/r1.txt
# past the first full tile (256 entries), over 4 keep-alive connections
FULL=$((256 + 20))
check_eq "filler uploads all answered 201" "$(bulk_put beta evidence $((FULL - TOTAL - 1)) 4 filler)" $((FULL - TOTAL - 1))
check_eq "checkpoint past one full tile" "$(log_size)" $FULL
check "C2SP tiles rebuild the tree after the restarts" \
	goverify tiles $VKEY $U $PKI/ca.crt $PKI/audit.crt $PKI/audit.key
cp_get $T/full
iget audit "/v1/log/consistency?old=$((TOTAL + 1))&new=$FULL" $T/cons-k >/dev/null
check "consistency across the kill -9 restart verifies with Go" goverify consistency $VKEY $T/after1 $T/full $T/cons-k
check "intake audit after kill -9: consistent with the saved state" \
	audit_ok $T/audit.state "OK size $FULL root "
check "intake audit after kill -9: says what it checked against" grep -qF "(consistent with saved size " $T/audit.out

# ---------------------------------------------------------------- workbook links by role, intake links
printf 'firewall review\n' >$T/fw-review.txt
printf 'network diagram\n' >$T/network.txt
printf 'not in the workbook\n' >$T/extra.txt
mkpdf $T/access-policy.pdf
check_eq "evidence with ?ref=EV-001" "$(icurl alpha -o $T/ev1.json -w '%{http_code}' -T $T/access-policy.pdf \
	"https://localhost:$PORT/v1/submissions/evidence/access-policy.pdf?ref=EV-001")" 201
check_eq "evidence by file name" "$(iput alpha evidence network.txt $T/network.txt $T/ev3.json)" 201
check_eq "BETA's file of the same name" "$(iput beta evidence fw-review.txt $T/network.txt /dev/null)" 201
$PY - $T "$(sha256 $T/fw-review.txt)" <<'PY'
import sys, openpyxl
run, h = sys.argv[1], sys.argv[2]
wb = openpyxl.Workbook(); wb.active.title = "Cover"
t = wb.create_sheet("Evidence References")
t.append(["Description", "SEC Obligation", "File Name", "Evidence Ref", "SHA-256"])
t.append(["Access control policy", "G5.14", "access-policy.pdf", "EV-001", None])
t.append(["Firewall review", "G5.17", "fw-review.txt", "EV-002", h])
t.append(["Network diagram", "G5.2", "network.txt", "EV-003", None])
t.append(["Hostile", "+SUM(1,2)", "a,b \"q\".pdf", "@EV-004", None])
wb.save(run + "/workbook.xlsx")
PY
check_eq "ALPHA's workbook" "$(iput alpha validation-workbook workbook.xlsx $T/workbook.xlsx $T/wb.json)" 201
W=$(jget $T/wb.json index)
check_eq "evidence the workbook does not name" "$(iput alpha evidence extra.txt $T/extra.txt $T/ex.json)" 201
check_eq "ALPHA reads its workbook's links" "$(iget alpha /v1/workbooks/$W/links $T/links-a.json)" 200
check_eq "BETA reading ALPHA's links -> 404" "$(iget beta /v1/workbooks/$W/links /dev/null)" 404
check_eq "BETA reading a missing workbook -> 404 (indistinguishable)" "$(iget beta /v1/workbooks/99999999/links /dev/null)" 404
check_eq "SECAS reads the links" "$(iget secas /v1/workbooks/$W/links /dev/null)" 200
check_eq "AUDIT reads the links" "$(iget audit /v1/workbooks/$W/links /dev/null)" 200
LK="--cacert $PKI/ca.crt --cert $PKI/alpha.crt --key $PKI/alpha.key"
"$INTAKE" links --url "$U" --index $W $LK >$T/links.txt 2>$T/links.err
check_eq "intake links as ALPHA" "$?" 0
check "the table has a header and one line per reference" bash -c '
	grep -q "^REF  *STATUS  *FILENAME  *OBLIGATION  *RECEIPT  *SHA256$" "$1" &&
	[ "$(grep -cE "^(EV-00[123]|@EV-004) " "$1")" = 4 ]' _ $T/links.txt
check "EV-001 received by ref, with its receipt and sha256 prefix" grep -qE \
	"^EV-001 +received +access-policy.pdf +G5.14 +$(jget $T/ev1.json index) +$(sha256 $T/access-policy.pdf | cut -c1-12)$" $T/links.txt
check "EV-002 missing (BETA's same-named file never links)" grep -qE "^EV-002 +missing +fw-review.txt +G5.17$" $T/links.txt
check "EV-003 received by file name" grep -qE "^EV-003 +received +network.txt +G5.2 +$(jget $T/ev3.json index) " $T/links.txt
check "the columns line up" bash -c 'for r in REF EV-001 EV-002 EV-003; do
	grep "^$r " "$1" | awk "{print index(\$0, \$2)}"; done | sort -u | wc -l | grep -qx 1' _ $T/links.txt
"$INTAKE" links --url "$U" --index $W --csv $LK >$T/links.csv
check_eq "intake links --csv as ALPHA" "$?" 0
check "CSV: header, formula guard, RFC 4180 quoting" $PY -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert rows[0] == ["ref", "status", "filename", "obligation", "receipt", "sha256"], rows[0]
by = {r[0]: r for r in rows[1:]}
assert by["EV-001"][1] == "received" and len(by["EV-001"][5]) == 64, by["EV-001"]
assert by["'"'"'@EV-004"][2] == "a,b \"q\".pdf", by
assert not any(c[:1] in "=+-@" for r in rows for c in r if c), rows
' $T/links.csv
check "CSV: unreferenced uploads are rows" grep -q "^,unreferenced,extra.txt,,$(jget $T/ex.json index),"$'\r'$ $T/links.csv
check_eq "intake links as BETA: exit 1" "$("$INTAKE" links --url "$U" --index $W --cacert $PKI/ca.crt \
	--cert $PKI/beta.crt --key $PKI/beta.key >/dev/null 2>$T/links-b.err; echo $?)" 1
check "intake links as BETA: one line saying not found" bash -c '[ "$(wc -l <"$1")" = 1 ] && grep -q "not found" "$1"' _ $T/links-b.err
check_eq "intake links as SECAS" "$("$INTAKE" links --url "$U" --index $W --cacert $PKI/ca.crt \
	--cert $PKI/secas.crt --key $PKI/secas.key 2>&1 | grep -c '^EV-00')" 3
check "daemon alive" it_alive
iget audit "/v1/log/consistency?old=12&new=$FULL" $T/cons12-full >/dev/null
it_stop

# ---------------------------------------------------------------- intake audit --data: tampering
# Each attack on its own copy of the stopped daemon's data directory, made the way an attacker
# with write access would: the sqlite3 CLI (dropping the append-only triggers first), raw bytes
# of the database file, or the store's files. Index i is the upload of n$((i+1)).txt.
# data_audit DIR: runs the offline audit; stdout in $T/da.out; exit status kept in DA_RC
data_audit() {
	"$INTAKE" audit --vkey "$VKEY" --data "$1" ${PGDSN:+--dsn "$PGDSN"} >$T/da.out 2>$T/da.err
	DA_RC=$?
}
# tampered NAME INDICES LINE...: the audit of copy NAME exits 1, prints each LINE and reports
# exactly INDICES ("3 4", or "" for none) by index
tampered() {
	local name=$1 want=$2 line got
	shift 2
	data_audit $T/t-$name
	[ $DA_RC = 1 ] || { echo "exit $DA_RC"; cat $T/da.out $T/da.err; return 1; }
	for line in "$@"; do
		grep -qF -- "$line" $T/da.out || { echo "no line: $line"; cat $T/da.out; return 1; }
	done
	got=$(sed -n 's/^index \([0-9]*\): .*/\1/p' $T/da.out | sort -un | tr '\n' ' ')
	[ "$got" = "${want:+$want }" ] || { echo "indices reported: '$got', want '$want'"; cat $T/da.out; return 1; }
}
copy_data() { rm -rf $T/t-$1 && cp -a $RUN/data $T/t-$1; }
sq() { sqlite3 "$T/t-$1/ledger.db" "$2"; }
blob() { echo "$T/t-$1/store/$(jget $2 sha256 | cut -c1-2)/$(jget $2 sha256)"; }

NENT=$((FULL + 5))      # the entries: filler, four evidence uploads and the workbook
data_audit $RUN/data
check_eq "intake audit --data: the untouched log passes" "$DA_RC" 0
check "... and counts every entry and every stored file" grep -qx "OK $NENT entries, $NENT files verified" $T/da.out

# the attacks on the SQLite file; a PostgreSQL ledger's are in unit/ledger (the files' below
# apply to both)
if [ -z "${PGDSN:-}" ]; then
copy_data entry
sq entry "DROP TRIGGER entries_no_update; UPDATE entries SET entry = replace(entry, 'filename: n4.txt', 'filename: forged.txt') WHERE idx = 3"
check "entry row rewritten (sqlite3): reported at index 3" tampered entry "3" \
	"index 3: entry row differs from its signed receipt" "index 3: entry does not match its leaf hash in the tree" "tree: "
copy_data receipt
sq receipt "DROP TRIGGER entries_no_update; UPDATE entries SET receipt = replace(receipt, 'n5.txt', 'n0.txt'), entry = replace(entry, 'n5.txt', 'n0.txt') WHERE idx = 4"
check "entry and receipt rewritten together: signature fails at index 4" tampered receipt "4" \
	"index 4: receipt signature does not verify" "index 4: entry does not match its leaf hash in the tree"
copy_data column
sq column "DROP TRIGGER entries_no_update; UPDATE entries SET sha256 = (SELECT sha256 FROM entries WHERE idx = 1) WHERE idx = 2"
check "sha256 column swapped: reported at index 2" tampered column "2" "index 2: sha256 column differs from the signed entry"
copy_data leaf
sq leaf "DROP TRIGGER tree_no_update; UPDATE tree SET hash = zeroblob(32) WHERE level = 0 AND idx = 7"
check "leaf hash altered: reported at index 7" tampered leaf "7" "index 7: entry does not match its leaf hash in the tree" "tree: "
copy_data node
sq node "DROP TRIGGER tree_no_update; UPDATE tree SET hash = zeroblob(32) WHERE level = 1 AND idx = 5"
check "inner tree hash altered: reported for the tree" tampered node "" "tree: tree node (1, 5) does not match its children"
copy_data cp
sq cp "DROP TRIGGER checkpoints_no_update; UPDATE checkpoints SET note = replace(note, char(10) || '$NENT' || char(10), char(10) || '$((NENT - 1))' || char(10)) WHERE size = (SELECT max(size) FROM checkpoints)"
check "latest checkpoint altered: its signature fails" tampered cp "" "tree: checkpoint of size"
copy_data bytes
sqlite3 $T/t-bytes/ledger.db "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
$PY - $T/t-bytes/ledger.db <<'PY'
import sys
p = sys.argv[1]
b = open(p, "rb").read()
n = b.count(b"filename: n9.txt\n")
assert n >= 2, n              # the entry and its receipt
open(p, "wb").write(b.replace(b"filename: n9.txt\n", b"filename: n9.exe\n"))
PY
check "database bytes edited: reported at index 8" tampered bytes "8" \
	"index 8: receipt signature does not verify" "index 8: entry does not match its leaf hash in the tree"
else
	note "PostgreSQL ledger: the attacks on ledger.db are skipped"
fi
copy_data missing
rm -f "$(blob missing $T/u6.json)"
check "stored file deleted: reported at index 5" tampered missing "5" "index 5: stored file missing"
copy_data altered
f=$(blob altered $T/u7.json)
chmod u+w "$f" && printf 'X' | dd of="$f" bs=1 seek=3 conv=notrunc 2>/dev/null
check "stored file altered in place: reported at index 6" tampered altered "6" "index 6: stored file altered"
copy_data grown
f=$(blob grown $T/u10.json)
chmod u+w "$f" && printf 'more\n' >>"$f"
check "stored file appended to: reported at index 9" tampered grown "9" "index 9: stored file altered"
if [ -z "${PGDSN:-}" ]; then
	check "the offline audit never wrote to the data" bash -c '[ "$(sqlite3 "$1/ledger.db" "SELECT count(*) FROM entries")" = "$2" ]' _ $RUN/data $NENT
else
	check "the offline audit never wrote to the ledger" bash -c '[ "$(psql "$1" -XAtq -c "SELECT count(*) FROM entries")" = "$2" ]' _ "$PGDSN" $NENT
fi

# ---------------------------------------------------------------- intake audit --url: a server that lies
# mock_start ADDR: an mTLS server (the gateway's certificate) answering GET .../NAME from $T/mock/NAME;
# $T/mock/mode says how: plain, chunked, eof (no length, ends with close_notify), cut (no
# length, no close_notify, half the body), short (Content-Length too large), huge (4 MiB)
mkdir -p $T/mock
cat >$T/mock.py <<'PY'
import http.server, os, ssl, sys
d, pki, addr = sys.argv[1:4]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        mode = open(d + "/mode").read().strip()
        try: body = open(os.path.join(d, self.path.split("?")[0].rsplit("/", 1)[-1]), "rb").read()
        except OSError: body = None
        self.close_connection = True
        if body is None:
            self.send_response(404); self.send_header("Content-Length", "0"); self.end_headers(); return
        self.send_response(200); self.send_header("Content-Type", "text/plain")
        self.send_header("Connection", "close")
        if mode == "chunked":
            self.send_header("Transfer-Encoding", "chunked"); self.end_headers()
            for i in range(0, len(body), 7):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(body[i:i+7]), body[i:i+7]))
            self.wfile.write(b"0\r\n\r\n")
        elif mode == "eof":
            self.end_headers(); self.wfile.write(body); self.wfile.flush(); self.connection.unwrap()
        elif mode == "cut":
            self.end_headers(); self.wfile.write(body[:len(body) // 2])
        elif mode == "short":
            self.send_header("Content-Length", str(len(body) + 100)); self.end_headers(); self.wfile.write(body)
        elif mode == "huge":
            self.send_header("Content-Length", str(4 << 20)); self.end_headers()
            for i in range(64): self.wfile.write(b"x" * 65536)
        else:
            self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(pki + "/server.crt", pki + "/server.key")
ctx.load_verify_locations(pki + "/ca.crt"); ctx.verify_mode = ssl.CERT_REQUIRED
s = http.server.HTTPServer((addr, 0), H)
s.socket = ctx.wrap_socket(s.socket, server_side=True)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
MPID=
mock_stop() { [ -z "$MPID" ] || { kill $MPID 2>/dev/null; wait $MPID 2>/dev/null; MPID=; }; }
mock_start() {
	local i
	mock_stop
	rm -f $T/mock.port
	$PY $T/mock.py $T/mock $PKI "$1" >$T/mock.port 2>>$T/mock.log &
	MPID=$!
	for i in $(seq 1 50); do [ -s $T/mock.port ] && break; sleep 0.1; done
	MU=https://localhost:$(cat $T/mock.port)
}
trap 'rc=$?; mock_stop; (exit $rc); it_cleanup' EXIT
mock() { echo "$1" >$T/mock/mode; cp "$2" $T/mock/checkpoint; rm -f $T/mock/consistency; [ -z "${3:-}" ] || cp "$3" $T/mock/consistency; }
mock_start 127.0.0.1
st() { cp $T/state12 $T/mstate; echo $T/mstate; }   # a fresh copy of the state saved at size 12
mock plain $T/cp12
check "mock server, same checkpoint: consistent" audit_ok "$(st)" "(consistent with saved size 12)" $MU
mock chunked $T/cp12
check "chunked answer: read whole" audit_ok "$(st)" "(consistent with saved size 12)" $MU
mock eof $T/cp12
check "answer ended by close_notify: read whole" audit_ok "$(st)" "(consistent with saved size 12)" $MU
mock cut $T/cp12
check "answer cut short without close_notify: refused" audit_refused "$(st)" "before the response was complete" $MU
mock short $T/cp12
check "answer shorter than its Content-Length: refused" audit_refused "$(st)" "before the response was complete" $MU
mock huge $T/cp12
check "answer larger than a checkpoint can be: refused" audit_refused "$(st)" "response longer than" $MU
mock plain $T/cp5
check "replayed older checkpoint (genuine, size 5): rollback refused" \
	audit_refused "$(st)" "rollback: checkpoint size 5 is older than saved 12" $MU
$PY -c 'import sys; l = open(sys.argv[1]).read().split("\n"); l[2] = ("B" if l[2][0] == "A" else "A") + l[2][1:]
open(sys.argv[2], "w").write("\n".join(l))' $T/cp12 $T/cp12-forged
mock plain $T/cp12-forged
check "checkpoint with an altered root: bad signature" audit_refused "$(st)" "bad signature" $MU
mock plain $T/full $T/cons
check "newer checkpoint with a proof of something else: fork" \
	audit_refused "$(st)" "fork: checkpoint size $FULL root" $MU
mock plain $T/full
check "newer checkpoint with no proof at all: refused" audit_refused "$(st)" "no consistency proof from saved size 12" $MU
mock plain $T/full $T/cons12-full
check "newer checkpoint with the log's own proof: consistent" audit_ok "$(st)" "OK size $FULL root " $MU
check "... and the new state saved" same_cp $T/mstate $T/full
mock_start 127.0.0.2
mock plain $T/cp12
check "a server at an address its certificate does not name: refused" \
	audit_refused "$(st)" "server certificate refused" https://127.0.0.2:$(cat $T/mock.port)
mock_stop

# ---------------------------------------------------------------- intake audit --url: rollback, fork
# A second log with the same key and origin but other entries: a fresh start (rollback), then a
# different history of the same size (fork), then a longer one that does not extend ours (fork).
sed -i "s|^data[[:space:]]*=.*|data = $RUN/data2|" $RUN/intaked.conf
[ -z "${PGDSN:-}" ] || it_pg_fresh_ledger
it_launch || bail "intaked on a second data directory did not start: $(tail -n 2 $RUN/daemon.log)"
for i in $(seq 1 5); do printf 'other history %d\n' $i >$T/o$i.txt; iput alpha evidence o$i.txt $T/o$i.txt /dev/null >/dev/null; done
check_eq "second log (same key) at size 5" "$(log_size)" 5
check "a fresh log against the state saved at 12: rollback" \
	audit_refused "$(st)" "rollback: checkpoint size 5 is older than saved 12"
for i in $(seq 6 12); do printf 'other history %d\n' $i >$T/o$i.txt; iput alpha evidence o$i.txt $T/o$i.txt /dev/null >/dev/null; done
check_eq "second log at size 12" "$(log_size)" 12
check "same size, other root: fork" audit_refused "$(st)" "fork: checkpoint of size 12 has root "
printf 'other history 13\n' >$T/o13.txt; iput alpha evidence o13.txt $T/o13.txt /dev/null >/dev/null
check "larger, not an extension of ours: fork" audit_refused "$(st)" "fork: checkpoint size 13 root "
check "the second log audits fine from its own state" audit_ok $T/state-second "OK size 13 root "
it_stop
summary
