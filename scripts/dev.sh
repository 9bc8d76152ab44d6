#!/usr/bin/env bash
# The README's two set-up commands: `bash scripts/dev.sh run` and `bash scripts/dev.sh test`.
# Safe to run twice; installs what it needs on Debian (as root, or with sudo available).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
VENV=${IDBEHEER_VENV:-$ROOT/.venv}
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
PG_ETC=${IDBEHEER_PG_ETC:-/etc/postgresql}  # Debian's PostgreSQL clusters (a test points it elsewhere)

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing Debian packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

python_env() {
  apt_install python3 python3-venv python3-dev xmlsec1 libxmlsec1-dev pkg-config gcc
  local py=${PYTHON:-python3}
  [ -x "$VENV/bin/python" ] || "$py" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q -e "$ROOT[$1]"
}

start_postgresql() {
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    command -v pg_ctlcluster >/dev/null || apt_install postgresql postgresql-client
    local version; version=$(ls "$PG_ETC" | sort -V | tail -1)
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
      || pg_ctlcluster "$version" main start
    for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  # The tests connect as postgres over TCP without a password. Making that work edits the
  # system's pg_hba.conf, so it is done only on a CI machine or when asked for explicitly.
  if ! psql -h 127.0.0.1 -U postgres -d postgres -Atqc "select 1" >/dev/null 2>&1; then
    local hba; hba=$(ls "$PG_ETC"/*/main/pg_hba.conf | sort -V | tail -1)
    local line="host all postgres 127.0.0.1/32 trust"
    if [ "${CI:-}" != "true" ] && [ "${IDBEHEER_FIX_PG_HBA:-}" != "1" ]; then
      cat >&2 <<MSG
PostgreSQL at 127.0.0.1:5432 does not let user postgres in without a password, which the
PostgreSQL half of the tests needs. This script will not edit $hba on your machine by itself.
Either let it add the line
    $line
at the top of that file and reload PostgreSQL:
    IDBEHEER_FIX_PG_HBA=1 bash scripts/dev.sh test
or point the tests at a database you can reach:
    IDBEHEER_TEST_DATABASE_URL=postgresql+psycopg://USER:PASSWORD@HOST:5432/postgres bash scripts/dev.sh test
MSG
      exit 3
    fi
    echo "adding '$line' to $hba (CI=${CI:-} IDBEHEER_FIX_PG_HBA=${IDBEHEER_FIX_PG_HBA:-})"
    $SUDO sed -i "1i $line" "$hba"
    $SUDO pg_ctlcluster "$(basename "$(dirname "$(dirname "$hba")")")" main reload
  fi
}

start_redis() {
  if ! (redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG); then
    command -v redis-server >/dev/null || apt_install redis-server
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
    for _ in $(seq 30); do redis-cli -h 127.0.0.1 ping 2>/dev/null | grep -q PONG && break; sleep 1; done
  fi
}

run_checks() {
  # Lint and types, before the tests: seconds. mypy compares with .ci/mypy-baseline.txt.
  python_env test
  echo "== ruff"
  "$VENV/bin/ruff" check .
  echo "== mypy (against the baseline)"
  "$VENV/bin/python" scripts/mypy_baseline.py
}

run_tests() {
  python_env test
  # nginx checks the deploy config; chromium runs the browser tests (Playwright drives Debian's
  # build); SimpleSAMLphp and PHP, Apache with Shibboleth SP 3 (mod_shib and shibd) and with
  # mod_auth_mellon are the SAML peers of the bridge that are not ours; Apache with
  # mod_auth_openidc the OpenID Connect relying party that is not ours.
  apt_install nginx-light chromium openssl simplesamlphp php-cli php-xml php-mbstring php-curl \
    apache2 libapache2-mod-auth-openidc shibboleth-sp-utils libapache2-mod-shib \
    libapache2-mod-auth-mellon
  # A PostgreSQL server of your own (IDBEHEER_TEST_DATABASE_URL) is used as given.
  local pg_url=${IDBEHEER_TEST_DATABASE_URL:-}
  [ -n "$pg_url" ] || { start_postgresql; pg_url=postgresql+psycopg://postgres@127.0.0.1:5432/postgres; }
  start_redis
  export IDBEHEER_TEST_REDIS_URL=${IDBEHEER_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}
  local status=0
  echo "== test suite on SQLite"
  IDBEHEER_TEST_DATABASE_URL="" "$VENV/bin/python" -m pytest "$@" || status=$?
  echo "== test suite on PostgreSQL"
  IDBEHEER_TEST_DATABASE_URL=$pg_url "$VENV/bin/python" -m pytest "$@" || status=$?
  return $status
}

# Sourced (tests/deploy/test_dev_sh.py), it only defines the functions.
[ "${BASH_SOURCE[0]}" = "$0" ] || return 0

case "${1:-}" in
  run)
    shift
    python_env postgresql
    exec "$VENV/bin/idbeheer" run "$@"
    ;;
  test)
    shift
    run_tests "$@"
    ;;
  check)
    run_checks
    ;;
  *)
    echo "usage: bash scripts/dev.sh run [--host H] [--port P] | test [pytest args] | check" >&2
    exit 2
    ;;
esac
