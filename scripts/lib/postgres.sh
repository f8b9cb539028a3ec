# shellcheck shell=bash
# A private, throwaway PostgreSQL server for the tests. Source after common.sh.
#
#   pg_ensure_installed   install Debian's postgresql if no server binaries are found
#   pg_start              initdb into a temp dir, start on 127.0.0.1:<free port>,
#                         create database preflight_test and export
#                         PREFLIGHT_TEST_DATABASE_URL (and PG_TEST_PORT, PG_TEST_DIR)
#   pg_stop               stop the server and remove the temp dir (safe to call twice)

PG_BINDIR=""
PG_TEST_DIR=""
PG_TEST_PORT=""
PG_TEST_DB="${PG_TEST_DB:-preflight_test}"

# Highest-versioned /usr/lib/postgresql/*/bin that has a server.
_pg_find_bindir() {
    local d best=""
    for d in /usr/lib/postgresql/*/bin; do
        [[ -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" ]] || continue
        if [[ -z "$best" ]] || [[ "$(basename "$(dirname "$d")")" -gt "$(basename "$(dirname "$best")")" ]]; then
            best="$d"
        fi
    done
    printf '%s\n' "$best"
}

pg_ensure_installed() {
    PG_BINDIR="$(_pg_find_bindir)"
    if [[ -z "$PG_BINDIR" ]]; then
        apt_install postgresql
        PG_BINDIR="$(_pg_find_bindir)"
        [[ -n "$PG_BINDIR" ]] || die "postgresql installed but no /usr/lib/postgresql/*/bin/initdb found"
    fi
    if [[ $EUID -eq 0 ]] && ! id -u postgres >/dev/null 2>&1; then
        # Binaries present without the package's system user (unusual): make one.
        useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
    fi
    log "using PostgreSQL from $PG_BINDIR ($("$PG_BINDIR/postgres" --version))"
}

# Run a PostgreSQL program as the server's owner: root is refused by initdb/postgres.
_pg_as_owner() {
    if [[ $EUID -eq 0 ]]; then
        (cd / && runuser -u postgres -- "$@")
    else
        (cd / && "$@")
    fi
}

pg_start() {
    [[ -n "$PG_BINDIR" ]] || pg_ensure_installed
    PG_TEST_DIR="$(mktemp -d "${TMPDIR:-/tmp}/preflight-pg.XXXXXX")"
    export PG_TEST_DIR
    [[ $EUID -ne 0 ]] || chown postgres: "$PG_TEST_DIR"
    chmod 0700 "$PG_TEST_DIR"

    _pg_as_owner "$PG_BINDIR/initdb" --pgdata="$PG_TEST_DIR/data" --username=postgres \
        --auth=trust --encoding=UTF8 --no-locale --no-sync >"$PG_TEST_DIR/initdb.log" 2>&1 || {
        cat "$PG_TEST_DIR/initdb.log" >&2
        die "initdb failed"
    }

    # A free port can be taken between the probe and the bind: retry a few times.
    local attempt opts
    for attempt in 1 2 3 4 5; do
        PG_TEST_PORT="$(free_port)"
        opts="-c listen_addresses=127.0.0.1 -p $PG_TEST_PORT"
        opts+=" -c unix_socket_directories=$PG_TEST_DIR"
        opts+=" -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        if _pg_as_owner "$PG_BINDIR/pg_ctl" --pgdata="$PG_TEST_DIR/data" --log="$PG_TEST_DIR/server.log" \
            --options="$opts" --wait --timeout=60 start >/dev/null; then
            break
        fi
        if [[ $attempt -eq 5 ]]; then
            cat "$PG_TEST_DIR/server.log" >&2 || true
            die "could not start PostgreSQL"
        fi
        warn "PostgreSQL did not start on port $PG_TEST_PORT, retrying"
    done
    export PG_TEST_PORT

    "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_TEST_PORT" -U postgres -d postgres \
        -c "CREATE DATABASE $PG_TEST_DB" >/dev/null
    export PREFLIGHT_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_TEST_PORT/$PG_TEST_DB"
    log "PostgreSQL up: $PREFLIGHT_TEST_DATABASE_URL"
}

pg_stop() {
    [[ -n "$PG_TEST_DIR" ]] || return 0
    if [[ -f "$PG_TEST_DIR/data/postmaster.pid" ]]; then
        _pg_as_owner "$PG_BINDIR/pg_ctl" --pgdata="$PG_TEST_DIR/data" --mode=immediate --wait \
            --timeout=30 stop >/dev/null 2>&1 || {
            # pg_ctl failed: kill the postmaster by its recorded pid.
            local pid
            pid="$(head -n1 "$PG_TEST_DIR/data/postmaster.pid" 2>/dev/null || true)"
            [[ -z "$pid" ]] || kill -9 "$pid" 2>/dev/null || true
        }
    fi
    rm -rf "$PG_TEST_DIR"
    PG_TEST_DIR=""
}
