#!/usr/bin/env bash
# Point-in-time recovery, rehearsed end to end on a throwaway PostgreSQL cluster (docs/DEPLOY.md, "Backups
# and restore"): WAL archiving on, a base backup, rows written before and after a chosen moment, the
# cluster destroyed, the base backup restored and the WAL replayed up to that moment; prints what came
# back. Everything lives under a temporary directory and is removed at the end; the shared server is
# never touched. As root (the cluster runs as `postgres`); PORT (default 7650) must be free.
set -euo pipefail
PORT=${PORT:-7650}
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
WORK=$(mktemp -d /tmp/siaga-pitr-XXXXXX)
chown postgres: "$WORK"
as_pg() { runuser -u postgres -- "$@"; }
psql_() { as_pg "$BIN/psql" -h "$WORK" -p "$PORT" -d postgres -v ON_ERROR_STOP=1 -qtAc "$1"; }
cleanup() { as_pg "$BIN/pg_ctl" -D "$WORK/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT

as_pg "$BIN/initdb" -D "$WORK/data" -A trust -U postgres >/dev/null
as_pg mkdir "$WORK/wal"
cat >>"$WORK/data/postgresql.conf" <<EOF
port = $PORT
listen_addresses = ''
unix_socket_directories = '$WORK'
wal_level = replica
archive_mode = on
archive_command = 'test ! -f $WORK/wal/%f && cp %p $WORK/wal/%f'
EOF
as_pg "$BIN/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w start >/dev/null
psql_ "CREATE TABLE post (id serial PRIMARY KEY, note text, at timestamptz DEFAULT clock_timestamp())"
psql_ "INSERT INTO post (note) SELECT 'before the base backup ' || g FROM generate_series(1, 1000) g"

started=$(date +%s.%N)
as_pg "$BIN/pg_basebackup" -h "$WORK" -p "$PORT" -D "$WORK/base" -Ft -z -X fetch -c fast
echo "base backup: $(du -sh "$WORK/base" | cut -f1) in $(echo "$(date +%s.%N) - $started" | bc) s"

psql_ "INSERT INTO post (note) SELECT 'good ' || g FROM generate_series(1, 500) g"
sleep 1
target=$(psql_ "SELECT clock_timestamp()")
sleep 1
psql_ "DELETE FROM post"   # the mistake to undo
psql_ "INSERT INTO post (note) VALUES ('after the mistake')"
psql_ "SELECT pg_switch_wal()" >/dev/null   # ship the last segment (archive_timeout does this in production)
sleep 2
echo "before the crash: $(psql_ "SELECT count(*) FROM post") rows; recovering to $target"

as_pg "$BIN/pg_ctl" -D "$WORK/data" -m immediate stop >/dev/null
rm -rf "$WORK/data"
as_pg mkdir -m 700 "$WORK/data"
as_pg tar -xzf "$WORK/base/base.tar.gz" -C "$WORK/data"
cat >>"$WORK/data/postgresql.conf" <<EOF
restore_command = 'cp $WORK/wal/%f %p'
recovery_target_time = '$target'
recovery_target_action = 'promote'
EOF
as_pg touch "$WORK/data/recovery.signal"
started=$(date +%s.%N)
as_pg "$BIN/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w -t 120 start >/dev/null
until [ "$(psql_ "SELECT pg_is_in_recovery()")" = f ]; do sleep 0.2; done
echo "recovered in $(echo "$(date +%s.%N) - $started" | bc) s: $(psql_ "SELECT count(*) FROM post") rows" \
  "($(psql_ "SELECT count(*) FROM post WHERE note LIKE 'good%'") 'good', $(psql_ \
  "SELECT count(*) FROM post WHERE note = 'after the mistake'") after the mistake)"
[ "$(psql_ "SELECT count(*) FROM post")" = 1500 ] && echo "PITR OK: the table as it was at $target"
