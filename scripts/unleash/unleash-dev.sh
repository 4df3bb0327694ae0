#!/usr/bin/env bash
# A real Unleash server for development and the integration test: unleash-server 6.x (the last
# line that runs on Node 20) over a private PostgreSQL cluster from Debian's packages.
#
#   scripts/unleash/unleash-dev.sh install   install PostgreSQL (apt, as root) and unleash-server
#   scripts/unleash/unleash-dev.sh start     start PostgreSQL + Unleash, create an API token and the
#                                            flags named in routing-rules.yaml; print the env to use
#   scripts/unleash/unleash-dev.sh stop      stop Unleash and PostgreSQL
#   scripts/unleash/unleash-dev.sh status    say what runs
#   scripts/unleash/unleash-dev.sh test      run the Unleash integration test (npm run test:unleash)
#
# The PostgreSQL cluster listens on a unix socket in its own directory only (no TCP port), so it
# never clashes with another PostgreSQL on the machine. Unleash listens on 127.0.0.1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SERVER_DIR="$ROOT/scripts/unleash/server"
# PostgreSQL refuses to run as root and its user must reach the data directory, which a clone in
# a private temporary directory would not allow: the cluster lives under /tmp, one per clone.
PG_BASE="${STRANGLER_PG_DIR:-${TMPDIR:-/tmp}/strangler-pg-$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)}"
PG_DATA="$PG_BASE/data"
PG_SOCKET_DIR="$PG_BASE/run"
PG_LOG="$PG_BASE/postgres.log"
PG_PORT=5432
STATE_DIR="$ROOT/data/unleash-dev"
ENV_FILE="$STATE_DIR/unleash.env"
DEV_DB=strangler_dev

say() { printf 'unleash-dev: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# pg_bin_dir, as_pg, install_postgres
# shellcheck source=../postgres/pg-common.sh
source "$ROOT/scripts/postgres/pg-common.sh"

install_unleash() {
  if [[ -f "$SERVER_DIR/node_modules/unleash-server/package.json" &&
        "$SERVER_DIR/node_modules/.package-lock.json" -nt "$SERVER_DIR/package-lock.json" ]]; then
    return 0
  fi
  say "installing unleash-server into scripts/unleash/server (apart from the proxy's dependencies)"
  (cd "$SERVER_DIR" && npm ci --no-audit --no-fund --loglevel=error)
  node -e "require('$SERVER_DIR/node_modules/unleash-server')" ||
    die "unleash-server was installed but does not load on $(node --version)"
}

cmd_install() {
  install_postgres
  install_unleash
}

pg_running() {
  local bin; bin="$(pg_bin_dir)" || return 1
  [[ -f "$PG_DATA/PG_VERSION" ]] && as_pg "$bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

pg_start() {
  local bin; bin="$(pg_bin_dir)" || die "PostgreSQL is not installed (run: $0 install)"
  if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
    say "creating a PostgreSQL cluster in $PG_DATA"
    mkdir -p "$PG_DATA" "$PG_SOCKET_DIR"
    chmod 700 "$PG_BASE"
    [[ "$(id -u)" == 0 ]] && chown -R postgres:postgres "$PG_BASE"
    as_pg "$bin/initdb" -D "$PG_DATA" --auth=trust --username=postgres --encoding=UTF8 --no-locale >/dev/null
  fi
  if pg_running; then return 0; fi
  as_pg "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 \
    -o "-c listen_addresses='' -k $PG_SOCKET_DIR -p $PG_PORT -c fsync=off" start >/dev/null ||
    { tail -n 20 "$PG_LOG" >&2 || true; die "PostgreSQL did not start (log: $PG_LOG)"; }
}

pg_stop() {
  local bin; bin="$(pg_bin_dir)" || return 0
  if pg_running; then as_pg "$bin/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null; fi
}

pg_createdb() {
  local bin; bin="$(pg_bin_dir)"
  as_pg "$bin/createdb" -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres "$1"
}

pg_dropdb() {
  local bin; bin="$(pg_bin_dir)"
  as_pg "$bin/dropdb" -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres --if-exists "$1"
}

pg_has_db() {
  local bin; bin="$(pg_bin_dir)"
  as_pg "$bin/psql" -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$1'" postgres | grep -q 1
}

export_pg_env() {
  export UNLEASH_DEV_PGHOST="$PG_SOCKET_DIR" UNLEASH_DEV_PGPORT="$PG_PORT" UNLEASH_DEV_PGUSER=postgres
  export UNLEASH_DEV_SERVER_DIR="$SERVER_DIR"
}

unleash_pid() {
  [[ -f "$STATE_DIR/unleash.pid" ]] || return 1
  local pid; pid="$(cat "$STATE_DIR/unleash.pid")"
  kill -0 "$pid" 2>/dev/null && printf '%s\n' "$pid"
}

cmd_start() {
  cmd_install
  pg_start
  mkdir -p "$STATE_DIR"
  if unleash_pid >/dev/null; then
    say "Unleash already runs (pid $(unleash_pid))"
    cat "$ENV_FILE"
    return 0
  fi
  pg_has_db "$DEV_DB" || pg_createdb "$DEV_DB"
  export_pg_env
  # Unleash creates its initial admin token only in an empty database, so the token is made once
  # and kept beside the cluster that holds it.
  local token_file="$PG_BASE/dev-admin-token"
  [[ -f "$token_file" ]] || printf '*:*.strangler-dev-admin-%s\n' "$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')" >"$token_file"
  local admin_token; admin_token="$(cat "$token_file")"
  local log="$STATE_DIR/unleash.log"
  say "starting Unleash (log: $log)"
  UNLEASH_DEV_DB="$DEV_DB" UNLEASH_DEV_PORT="${UNLEASH_DEV_PORT:-4242}" UNLEASH_DEV_ADMIN_TOKEN="$admin_token" \
    nohup node "$SERVER_DIR/start-unleash.js" >"$log" 2>&1 &
  echo $! >"$STATE_DIR/unleash.pid"
  local url=""
  for _ in $(seq 1 240); do
    url="$(sed -n 's/^UNLEASH_READY //p' "$log" | head -n 1)"
    [[ -n "$url" ]] && break
    unleash_pid >/dev/null || { tail -n 30 "$log" >&2; die "Unleash exited while starting"; }
    sleep 0.5
  done
  [[ -n "$url" ]] || { tail -n 30 "$log" >&2; die "Unleash did not start within 120 s"; }
  [[ -f "$ROOT/dist/scripts/unleash/provision-command.js" ]] || (cd "$ROOT" && npm run --silent build)
  node "$ROOT/dist/scripts/unleash/provision-command.js" --url "$url" --admin-token "$admin_token" \
    --rules "$ROOT/routing-rules.yaml" >"$ENV_FILE.tmp" || { rm -f "$ENV_FILE.tmp"; die "could not provision Unleash (it still runs; stop it with: $0 stop)"; }
  mv "$ENV_FILE.tmp" "$ENV_FILE"
  say "Unleash runs at $url (admin UI login: admin / unleash4all). Point the proxy at it with:"
  cat "$ENV_FILE"
}

cmd_stop() {
  local pid
  if pid="$(unleash_pid)"; then
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
    say "Unleash stopped"
  fi
  rm -f "$STATE_DIR/unleash.pid"
  pg_stop
  say "PostgreSQL stopped"
}

cmd_status() {
  if pg_running; then say "PostgreSQL runs ($PG_DATA)"; else say "PostgreSQL is stopped"; fi
  if unleash_pid >/dev/null; then say "Unleash runs (pid $(unleash_pid))"; cat "$ENV_FILE"; else say "Unleash is stopped"; fi
}

# The integration test starts and stops its own Unleash server (it has to stop it mid-test) over a
# fresh database, so runs never see each other's flags.
cmd_test() {
  cmd_install
  local started_pg=0
  pg_running || { pg_start; started_pg=1; }
  local db="strangler_test_$$"
  pg_createdb "$db"
  export_pg_env
  export UNLEASH_DEV_DB="$db"
  local rc=0
  (cd "$ROOT" && npx jest -c jest.unleash.config.js "$@") || rc=$?
  pg_dropdb "$db" || true
  [[ "$started_pg" == 1 ]] && pg_stop
  return "$rc"
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  test) shift; cmd_test "$@" ;;
  *) say "usage: $0 install|start|stop|status|test"; exit 2 ;;
esac
