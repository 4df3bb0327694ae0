#!/usr/bin/env bash
# Throwaway PostgreSQL clusters for tests and demos (Debian's packages), each in its own directory
# under /tmp, owned by the postgres user (PostgreSQL refuses to run as root):
#
#   scripts/postgres/test-cluster.sh install          install PostgreSQL (apt, as root) if missing,
#                                                     and nginx-light (for the replicas test)
#   scripts/postgres/test-cluster.sh start DIR PORT   create the cluster in DIR if it is not there and
#                                                     start it: a unix socket in DIR/run and TCP on
#                                                     127.0.0.1:PORT with password (scram) logins; on
#                                                     first start, a role and a database, both named
#                                                     $STRANGLER_TEST_PG_USER, with the password
#                                                     $STRANGLER_TEST_PG_PASSWORD (read from the
#                                                     environment, never from the command line)
#   scripts/postgres/test-cluster.sh stop DIR         stop it (immediately; DIR is kept, start again)
#   scripts/postgres/test-cluster.sh remove DIR       stop it and delete DIR
#   scripts/postgres/test-cluster.sh test [ARGS]      install, build, then jest -c jest.postgres.config.js ARGS
#
# scripts/testing/postgres.ts drives it from TypeScript (startTestPostgres).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

say() { printf 'test-cluster: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# shellcheck source=./pg-common.sh
source "$ROOT/scripts/postgres/pg-common.sh"

install_nginx() {
  command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] && return 0
  [[ "$(id -u)" == 0 ]] || die "nginx is not installed; run as root, or: sudo apt-get install -y nginx-light"
  say "installing nginx-light from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq nginx-light >/dev/null || say "apt-get reported an error; checking whether nginx is there anyway"
  [[ -x /usr/sbin/nginx ]] || die "could not install nginx-light"
}

# A directory we may delete: one of ours, under /tmp.
checked_dir() {
  local dir="${1:-}"
  [[ -n "$dir" ]] || die "give the cluster's directory"
  case "$(realpath -m "$dir")" in
    /tmp/*) ;;
    *) die "refusing $dir: test clusters live under /tmp" ;;
  esac
  printf '%s\n' "$(realpath -m "$dir")"
}

cmd_start() {
  local dir port bin
  dir="$(checked_dir "${1:-}")"
  port="${2:-}"
  [[ "$port" =~ ^[0-9]+$ ]] || die "give a TCP port for 127.0.0.1"
  bin="$(pg_bin_dir)" || die "PostgreSQL is not installed (run: $0 install)"
  local fresh=0
  if [[ ! -f "$dir/data/PG_VERSION" ]]; then
    fresh=1
    mkdir -p "$dir/data" "$dir/run"
    chmod 700 "$dir"
    [[ "$(id -u)" == 0 ]] && chown -R postgres:postgres "$dir"
    # Local (socket) logins as postgres are trusted, for the test's own setup; TCP asks a password.
    as_pg "$bin/initdb" -D "$dir/data" --username=postgres --auth-local=trust --auth-host=scram-sha-256 \
      --encoding=UTF8 --no-locale >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  fi
  # fsync off: a test cluster's durability is the test's lifetime.
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/run -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null ||
    { tail -n 20 "$dir/postgres.log" >&2 || true; die "PostgreSQL did not start (log: $dir/postgres.log)"; }
  if [[ "$fresh" == 1 ]]; then
    local user="${STRANGLER_TEST_PG_USER:-strangler}"
    [[ "$user" =~ ^[a-z_][a-z0-9_]*$ ]] || die "STRANGLER_TEST_PG_USER must be a plain lower-case name"
    [[ -n "${STRANGLER_TEST_PG_PASSWORD:-}" ]] || die "set STRANGLER_TEST_PG_PASSWORD"
    # The password goes through the environment and psql's \getenv, never an argument (ps shows those).
    as_pg env STRANGLER_TEST_PG_PASSWORD="$STRANGLER_TEST_PG_PASSWORD" "$bin/psql" -h "$dir/run" -p "$port" -U postgres -d postgres \
      -v ON_ERROR_STOP=1 -q -f - >/dev/null <<SQL
\getenv pw STRANGLER_TEST_PG_PASSWORD
CREATE ROLE $user LOGIN PASSWORD :'pw';
CREATE DATABASE $user OWNER $user;
SQL
  fi
}

cmd_stop() {
  local dir bin
  dir="$(checked_dir "${1:-}")"
  bin="$(pg_bin_dir)" || return 0
  [[ -f "$dir/data/PG_VERSION" ]] || return 0
  if as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null
  fi
}

cmd_remove() {
  local dir
  dir="$(checked_dir "${1:-}")"
  cmd_stop "$dir"
  rm -rf "$dir"
}

cmd_test() {
  install_postgres
  install_nginx
  cd "$ROOT"
  npx jest -c jest.postgres.config.js "$@"
}

case "${1:-}" in
  install) install_postgres; install_nginx ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  remove) shift; cmd_remove "$@" ;;
  test) shift; cmd_test "$@" ;;
  *) say "usage: $0 install | start DIR PORT | stop DIR | remove DIR | test [JEST ARGS]"; exit 2 ;;
esac
