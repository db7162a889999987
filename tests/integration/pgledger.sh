#!/bin/bash
# tests/integration/pgledger.sh: the daemon with [ledger] backend = postgresql, against a real
# PostgreSQL server; skipped (77) unless INTAKE_TEST_DSN is set (run it under tests/pg.sh).
#
# Uploads go to the database and nowhere else (no ledger.db); a password in the DSN is never
# logged, only host, port and dbname; the append-only triggers refuse another writer's UPDATE,
# DELETE and TRUNCATE; `intake audit --data DIR --dsn DSN` verifies the whole log and every
# stored file; when the database drops the daemon's connections (pg_terminate_backend, as a
# database restart would) the process that notices (the front on a read, the notary on a batch)
# exits, the daemon goes down with a non-zero status and a log line, nothing unanswered is
# recorded, and started again it recovers: the receipts answered before verify and uploads go
# on.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ -z "${INTAKE_TEST_DSN:-}" ]; then
	echo "SKIP: INTAKE_TEST_DSN is not set (run under tests/pg.sh)"
	exit 77
fi
command -v psql >/dev/null || bail "no psql (postgresql-client)"

# a password the server does not need (trust) but the daemon must keep to itself
it_pw_config() { sed -i "s|^dsn     = .*|&\\&password=hunter2pw|" "$RUN/intaked.conf"; }
IT_AFTER_CONFIG=it_pw_config it_start pg
sq() { psql "$PGDSN" -XAtq -v ON_ERROR_STOP=1 -c "$1" 2>&1; }

check "the configuration holds the DSN's password" grep -q 'password=hunter2pw' "$RUN/intaked.conf"
mkpdf $T/a.pdf
check_eq "a PDF -> 201" "$(iput alpha evidence a.pdf $T/a.pdf $T/a.json)" 201
check "its receipt verifies with Go" goverify receipt $VKEY $T/a.json $T/a.pdf
printf 'plain text evidence\n' >$T/b.txt
check_eq "a text file -> 201" "$(iput beta evidence b.txt $T/b.txt $T/b.json)" 201
check_eq "the entries are in PostgreSQL" "$(sq 'SELECT count(*) FROM entries')" 2
check_eq "with their checkpoint" "$(sq 'SELECT max(size) FROM checkpoints')" 2
check "no SQLite ledger in the data directory" [ ! -e "$RUN/data/ledger.db" ]
check "the daemon logs where its ledger is" grep -q 'ledger: postgresql host .* dbname it_' "$RUN/daemon.log"
check "and never the DSN's password" bash -c '! grep -q hunter2pw "$1"' _ "$RUN/daemon.log"
check_eq "GET /v1/receipts/1 from the database -> 200" "$(iget beta /v1/receipts/1 $T/r1.json)" 200
check "... and it verifies with Go" goverify receipt $VKEY $T/r1.json $T/b.txt

# another writer: the triggers refuse what the ledger never does
check "UPDATE of an entry is refused" bash -c 'psql "$1" -XAtq -c "UPDATE entries SET party = '"'X'"'" 2>&1 | grep -q "append-only"' _ "$PGDSN"
check "DELETE of a tree hash is refused" bash -c 'psql "$1" -XAtq -c "DELETE FROM tree" 2>&1 | grep -q "append-only"' _ "$PGDSN"
check "TRUNCATE of the checkpoints is refused" bash -c 'psql "$1" -XAtq -c "TRUNCATE checkpoints" 2>&1 | grep -q "append-only"' _ "$PGDSN"
check_eq "... and nothing changed" "$(sq 'SELECT count(*) FROM entries WHERE party <> '"'X'"'')" 2

# the offline audit, ledger from the database, files from the data directory
"$INTAKE" audit --vkey "$(cat $VKEY)" --data "$RUN/data" --dsn "$PGDSN" >$T/da.out 2>$T/da.err
check_eq "intake audit --data --dsn passes" "$?" 0
check "... and counts every entry and file" grep -qx "OK 2 entries, 2 files verified" $T/da.out
"$INTAKE" audit --vkey "$(cat $VKEY)" --dsn "$PGDSN" >/dev/null 2>&1
check_eq "intake audit --dsn without --data is a usage error" "$?" 2
"$INTAKE" audit --vkey "$(cat $VKEY)" --data "$RUN/data" \
	--dsn "postgresql:///nodb_here?host=$INTAKE_TEST_PGHOST&user=intake&password=s3cretpw" \
	>$T/db.out 2>$T/db.err
check_eq "intake audit --dsn of a missing database fails" "$?" 1
check "... without printing the password" bash -c '! grep -q s3cretpw "$1" "$2"' _ $T/db.out $T/db.err

# the database drops every connection of the daemon
sq "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()" >/dev/null
# a read in the front (under its seccomp filter) is the first to notice
iget alpha /v1/receipts/0 $T/cp.txt >/dev/null
DEXIT=0; it_down_within 30; rc=$?
check "a lost connection brings the daemon down" [ $rc = 0 ]
check "the daemon's status is not 0 (got $DEXIT)" [ "$DEXIT" != 0 ]
check "the front says why (not killed by its filter)" \
	grep -Eq 'intaked-front.*lost the PostgreSQL connection' "$RUN/daemon.log"
check "no process of the daemon is left" [ -z "$(pgrep -f "$RUN/intaked.conf")" ]
it_launch || bail "intaked did not come back: $(tail -n 2 "$RUN/daemon.log")"
for i in 0 1; do
	check_eq "after a restart receipt $i -> 200" "$(iget audit /v1/receipts/$i $T/now$i.json)" 200
	check "... and verifies with Go against today's checkpoint" goverify receipt $VKEY $T/now$i.json
done
check_eq "and an upload is accepted" "$(iput alpha evidence d.pdf $T/a.pdf $T/d.json)" 201
check "its receipt verifies with Go" goverify receipt $VKEY $T/d.json $T/a.pdf

# again, and this time an upload (no read in the front): the notary notices
sq "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()" >/dev/null
printf 'after the drop\n' >$T/e.txt
code=$(iput alpha evidence e.txt $T/e.txt $T/e.json)
check "the upload is not answered as recorded (got $code)" [ "$code" != 201 ]
DEXIT=0; it_down_within 30; rc=$?
check "the daemon goes down" [ $rc = 0 ]
check "the notary says why" grep -Eq 'intaked-notary.*lost the PostgreSQL connection' "$RUN/daemon.log"
it_launch || bail "intaked did not come back: $(tail -n 2 "$RUN/daemon.log")"
check_eq "nothing was recorded of it" "$(sq 'SELECT count(*) FROM entries')" 3
check_eq "the next upload -> 201" "$(iput alpha evidence e.txt $T/e.txt $T/e2.json)" 201
check_eq "... at index 3" "$(jget $T/e2.json index)" 3
check "... and it verifies with Go" goverify receipt $VKEY $T/e2.json $T/e.txt
it_stop
summary
