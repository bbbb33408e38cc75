#!/usr/bin/env bash
# Start a throwaway PostgreSQL on 127.0.0.1 for the store tests and print its URL on stdout
# (one line: postgresql+psycopg://...). Installs Debian's postgresql with apt-get when no
# server binaries are found. Prints nothing on stdout and exits 0 when PostgreSQL cannot be
# had (no apt, no network): the caller then skips the PostgreSQL tests with a note.
#   PG_PORT (default 54329), PG_DIR (default a new folder under /tmp)
#   .ci/postgres.sh --stop DIR   stops the server started with PG_DIR=DIR
set -uo pipefail
if [ "${1:-}" = "--stop" ]; then
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/pg_ctl" ] && CTL="$d/pg_ctl"; done
  CTL="${CTL:-pg_ctl}"
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$CTL" -D "$2/data" -m fast stop >/dev/null 2>&1
  else "$CTL" -D "$2/data" -m fast stop >/dev/null 2>&1; fi
  exit 0
fi
PORT="${PG_PORT:-54329}"
DIR="${PG_DIR:-$(mktemp -d /tmp/jixiao-pg.XXXXXX)}"
mkdir -p "$DIR"

find_bin() {
  for d in /usr/lib/postgresql/*/bin; do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    dirname "$(command -v initdb)"; return 0
  fi
  return 1
}

BIN="$(find_bin)"
if [ -z "$BIN" ] && command -v apt-get >/dev/null; then
  echo "postgres.sh: installing postgresql with apt-get" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && SUDO="sudo -n"
  timeout 300 $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2 \
    || { timeout 120 $SUDO apt-get update -q >&2 && timeout 300 $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2; }
  BIN="$(find_bin)"
fi
if [ -z "$BIN" ]; then
  echo "postgres.sh: no PostgreSQL server available (apt-get missing or failed)" >&2
  exit 0
fi

# PostgreSQL refuses to run as root: run it as the postgres user when we are root.
RUN=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd -r -M postgres >/dev/null 2>&1
  chown -R postgres "$DIR"
  RUN=(runuser -u postgres --)
fi
"${RUN[@]}" "$BIN/initdb" -D "$DIR/data" -U jixiao --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null 2>&1 \
  || "${RUN[@]}" "$BIN/initdb" -D "$DIR/data" -U jixiao --auth=trust -E UTF8 >/dev/null 2>&1 \
  || { echo "postgres.sh: initdb failed in $DIR" >&2; exit 0; }
"${RUN[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -t 60 \
  -o "-h 127.0.0.1 -p $PORT -k $DIR -c fsync=off -c synchronous_commit=off" start >/dev/null \
  || { echo "postgres.sh: server did not start (log: $DIR/log)" >&2; exit 0; }
"$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U jixiao jixiao_test >&2 \
  || { echo "postgres.sh: createdb failed" >&2; exit 0; }
echo "postgres.sh: PostgreSQL running on 127.0.0.1:$PORT, data in $DIR (stop: ${RUN[*]} $BIN/pg_ctl -D $DIR/data stop)" >&2
echo "postgresql+psycopg://jixiao@127.0.0.1:$PORT/jixiao_test"
