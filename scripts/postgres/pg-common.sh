# PostgreSQL from Debian's packages, shared by scripts/unleash/unleash-dev.sh and
# scripts/postgres/test-cluster.sh. Source it; the caller defines say() and die().

# The directory of the installed PostgreSQL binaries (initdb, pg_ctl, psql).
pg_bin_dir() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [[ -x "$dir/initdb" ]] && { printf '%s\n' "$dir"; return 0; }
  done
  return 1
}

# Runs a PostgreSQL tool as the user that owns the cluster (postgres when we are root: PostgreSQL
# refuses to run as root).
as_pg() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Installs PostgreSQL with apt-get when it is missing (idempotent; needs root).
install_postgres() {
  if pg_bin_dir >/dev/null; then return 0; fi
  [[ "$(id -u)" == 0 ]] || die "PostgreSQL is not installed; run as root, or: sudo apt-get install -y postgresql"
  say "installing PostgreSQL from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The package's own service start can fail where there is no init system; we run our own
  # cluster anyway, so only the binaries matter.
  apt-get install -y -qq postgresql >/dev/null || say "apt-get reported an error; checking whether the PostgreSQL binaries are there anyway"
  pg_bin_dir >/dev/null || die "could not install PostgreSQL: no initdb under /usr/lib/postgresql after apt-get install postgresql"
}
