#!/bin/bash
# tests/pg.sh: runs a command against a throwaway PostgreSQL cluster.
#
#   tests/pg.sh COMMAND [ARG...]
#
# Starts Debian's PostgreSQL 15 server (package postgresql; run as root: the
# server runs as user postgres) in a new temporary directory, listening on a
# Unix socket there only (no TCP), trust authentication, and creates the
# login role "intake" (CREATEDB) owning the database "intake". Then it runs
# COMMAND with, exported:
#   INTAKE_TEST_DSN  postgresql:///intake?host=SOCKDIR&user=intake: a DSN any
#                    local user can use (the socket directory is world-
#                    searchable), the daemon's `intaked` user included
#   INTAKE_TEST_PGHOST  SOCKDIR (for createdb -h; a test wanting a fresh
#                    database runs `createdb -h "$INTAKE_TEST_PGHOST" -U intake
#                    NAME` and uses postgresql:///NAME?host=SOCKDIR&user=intake)
# and stops the cluster and removes the directory on every exit path
# (COMMAND's end, failure, or INT/TERM/HUP, which COMMAND gets as SIGTERM).
# COMMAND's standard input is /dev/null. The exit status is COMMAND's (128+N
# after signal N); 1 if the cluster cannot be started, 2 on usage. Waits are
# bounded (pg_ctl -t).
set -euo pipefail

if [ $# -eq 0 ]; then
	echo "usage: tests/pg.sh COMMAND [ARG...]" >&2
	exit 2
fi
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/pg_ctl" ]; then
	echo "tests/pg.sh: no PostgreSQL server (apt-get install postgresql)" >&2
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "tests/pg.sh: run as root (the server runs as user postgres)" >&2
	exit 1
fi

top=$(mktemp -d /tmp/intake-pg.XXXXXX)
chmod 0755 "$top"
mkdir "$top/data" "$top/sock"
chown postgres: "$top/data" "$top/sock"
chmod 0755 "$top/sock"
started=0
child=

stop() {
	local rc=$?
	trap - EXIT INT TERM HUP
	[ -z "$child" ] || kill -TERM "$child" 2>/dev/null || true
	[ -z "$child" ] || wait "$child" 2>/dev/null || true
	if [ "$started" = 1 ]; then
		runuser -u postgres -- "$PGBIN/pg_ctl" -D "$top/data" -m immediate -t 30 \
		    stop >/dev/null 2>&1 || true
	fi
	rm -rf "$top"
	exit "$rc"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

runuser -u postgres -- "$PGBIN/initdb" -D "$top/data" -A trust -U postgres \
    -E UTF8 --locale=C.UTF-8 >"$top/initdb.log" 2>&1 || {
	cat "$top/initdb.log" >&2
	exit 1
}
started=1
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$top/data" -w -t 60 -l "$top/data/server.log" \
    -o "-k $top/sock -c listen_addresses='' -c fsync=on" start >/dev/null || {
	cat "$top/data/server.log" >&2
	exit 1
}
runuser -u postgres -- "$PGBIN/psql" -h "$top/sock" -U postgres -d postgres -q \
    -v ON_ERROR_STOP=1 -c "CREATE ROLE intake LOGIN CREATEDB" \
    -c "CREATE DATABASE intake OWNER intake" >/dev/null

export INTAKE_TEST_PGHOST="$top/sock"
export INTAKE_TEST_DSN="postgresql:///intake?host=$top/sock&user=intake"
# in the background, so that a signal to this script is handled at once (bash runs a
# trap only when its foreground command ends): the command gets SIGTERM, then the cluster
# stops. Its standard input is /dev/null.
set +e
"$@" </dev/null &
child=$!
wait "$child"
rc=$?
child=
set -e
exit "$rc"
