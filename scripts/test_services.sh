#!/usr/bin/env bash
# Run a command (the test suite) with a throwaway PostgreSQL for the API's database tests (and Chromium
# for the browser tests).
#
# ADUAN_TEST_DATABASE_URL already set: that database is used as it is. Otherwise a private
# cluster is created in a temporary directory on a free local port and removed afterwards; when
# the PostgreSQL server is not installed and this runs as root with apt-get (Debian/Ubuntu, as in
# CI), it is installed first (apt-get update; apt-get install -y postgresql). Without PostgreSQL
# the command still runs: its PostgreSQL tests skip, or fail when CI=true.
set -euo pipefail

# The browser tests (tests/browser) drive Debian's chromium with Playwright; no browser is downloaded
# at run time. Missing, as root with apt-get: installed from the archive (without it they skip, or
# fail under CI=true).
if ! command -v chromium >/dev/null && [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    echo "test_services: installing Chromium: apt-get update && apt-get install -y chromium" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2 \
        || echo "test_services: apt-get could not install chromium" >&2
fi

if [[ -n "${ADUAN_TEST_DATABASE_URL:-}" ]]; then
    exec "$@"
fi

log() { echo "test_services: $*" >&2; }

server_bin() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) "$(dirname "$(command -v initdb || echo /none/x)")"; do
        if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" && -x "$dir/createdb" ]]; then
            echo "$dir"
            return
        fi
    done
}

bin="$(server_bin)"
if [[ -z "$bin" && "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    log "installing PostgreSQL: apt-get update && apt-get install -y postgresql"
    export DEBIAN_FRONTEND=noninteractive
    if apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2; then
        bin="$(server_bin)"
    else
        log "apt-get could not install postgresql"
    fi
fi
if [[ -z "$bin" ]]; then
    log "PostgreSQL not available: its tests skip (and fail under CI=true)"
    exec "$@"
fi

workdir="$(mktemp -d "${TMPDIR:-/tmp}/aduan-pg.XXXXXX")"
as_owner=()
if [[ "$(id -u)" == 0 ]]; then  # the server refuses to run as root
    id postgres >/dev/null 2>&1 || useradd --system --user-group --no-create-home postgres
    chown postgres "$workdir"
    as_owner=(runuser -u postgres --)
fi

stop() {
    "${as_owner[@]}" "$bin/pg_ctl" -D "$workdir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$workdir"
}
trap stop EXIT

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"${as_owner[@]}" "$bin/initdb" -D "$workdir/data" -U aduan --auth=trust -E UTF8 --no-sync >/dev/null
# fsync off: a test database that is thrown away needs no durability.
"${as_owner[@]}" "$bin/pg_ctl" -D "$workdir/data" -l "$workdir/server.log" -w \
    -o "-p $port -k $workdir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
"$bin/createdb" -h 127.0.0.1 -p "$port" -U aduan aduan_test
export ADUAN_TEST_DATABASE_URL="postgresql+psycopg://aduan@127.0.0.1:$port/aduan_test"
log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port for the tests"
"$@"
