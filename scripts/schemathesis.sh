#!/usr/bin/env bash
# Property-based API tests with schemathesis against a real `preflight serve`.
#
# Builds nothing: expects `cargo build --workspace` done, and uses
# ${PREFLIGHT_BIN:-$CARGO_TARGET_DIR/debug/preflight} (CARGO_TARGET_DIR defaults to
# $HOME/.cache/preflight/target). Installs the pinned schemathesis into .venv/ if missing.
#
# Seeds a store with `preflight demo --exit`, creates an API token for an admin and for a
# developer, serves the store on 127.0.0.1:<free port> and runs schemathesis once per token.
# Exits non-zero if any run fails. Tunables: SCHEMATHESIS_MAX_EXAMPLES (30), SCHEMATHESIS_SEED.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR
source "$PREFLIGHT_ROOT/scripts/lib/python.sh"

BIN="${PREFLIGHT_BIN:-$CARGO_TARGET_DIR/debug/preflight}"
MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-30}"
SEED="${SCHEMATHESIS_SEED:-20260101}"
# Upper bound for one schemathesis run, so that a hang cannot eat CI's time budget.
RUN_TIMEOUT="${SCHEMATHESIS_TIMEOUT:-900}"

# "email role" pairs: demo users seeded by `preflight demo`.
USERS=(
    "admin@preflight.example admin"
    "dev@frontier-lab.example developer"
)

[[ -x "$BIN" ]] || die "$BIN not found: run 'cargo build --workspace' first"
command -v curl >/dev/null 2>&1 || apt_install curl
ensure_python_tools
ST="$(schemathesis_bin)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/preflight-schemathesis.XXXXXX")"
SERVER_PID=""

stop_server() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_server
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

server_log_tail() {
    if [[ -f "$WORK/server.log" ]]; then
        printf -- '--- last lines of the server log ---\n' >&2
        tail -n 60 "$WORK/server.log" >&2 || true
        printf -- '--- end of server log ---\n' >&2
    fi
}

DATA="$WORK/data"
mkdir -p "$DATA"

log "seeding $DATA with 'preflight demo --exit'"
if ! "$BIN" demo --exit --data-dir "$DATA" >"$WORK/demo.log" 2>&1; then
    cat "$WORK/demo.log" >&2
    die "preflight demo --exit failed"
fi

declare -A TOKENS=()
for entry in "${USERS[@]}"; do
    read -r email role <<<"$entry"
    token="$("$BIN" admin create-token --data-dir "$DATA" --user "$email")" ||
        die "preflight admin create-token --user $email failed"
    token="$(printf '%s' "$token" | tr -d '[:space:]')"
    [[ -n "$token" ]] || die "empty token for $email"
    TOKENS[$role]="$token"
done

PORT="$(free_port)"
BASE="http://127.0.0.1:$PORT"
log "starting preflight serve on $BASE"
"$BIN" serve --data-dir "$DATA" --listen "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

ready=0
for _ in $(seq 1 300); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        server_log_tail
        die "preflight serve exited before becoming healthy"
    fi
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/healthz" || true)"
    if [[ "$code" == 200 ]]; then
        ready=1
        break
    fi
    sleep 0.2
done
if [[ $ready -ne 1 ]]; then
    server_log_tail
    die "GET $BASE/healthz did not answer 200 within 60s"
fi
log "server healthy"

# Real ids from the seeded store, so that generated requests reach the
# handlers' logic instead of stopping at 404.
api_get() { curl -sf --max-time 5 -H "Authorization: Bearer ${TOKENS[admin]}" "$BASE/api/v1$1"; }
json_field() { python3 -c 'import json,sys; v=json.load(sys.stdin); print(eval("v"+sys.argv[1]))' "$1"; }
SUBMISSION_ID="$(api_get /submissions | json_field '[0]["id"]')"
FINDING_ID="$(api_get "/submissions/$SUBMISSION_ID/findings" | json_field '[0]["id"]')"
ORG_ID="$(api_get /partners | json_field '[0]["org_id"]')"
USER_ID="$(api_get /me | json_field '["id"]')"
cat >"$WORK/schemathesis.toml" <<TOML
[parameters]
submission_id = "$SUBMISSION_ID"
finding_id = "$FINDING_ID"
org_id = "$ORG_ID"
user_id = "$USER_ID"
version = 2
TOML
log "using submission $SUBMISSION_ID, finding $FINDING_ID, partner org $ORG_ID"

failed=()
for entry in "${USERS[@]}"; do
    read -r email role <<<"$entry"
    log "schemathesis as $role ($email): max $MAX_EXAMPLES examples per operation, seed $SEED"
    rc=0
    # Run from $WORK so that nothing (hypothesis data, reports) lands in the clone.
    (
        cd "$WORK"
        timeout --kill-after=30 "$RUN_TIMEOUT" "$ST" --config-file "$WORK/schemathesis.toml" run "$BASE/api/v1/openapi.json" \
            --origin "$BASE" \
            --header "Authorization: Bearer ${TOKENS[$role]}" \
            --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
            --max-examples "$MAX_EXAMPLES" \
            --seed "$SEED" \
            --workers 1 \
            --generation-database none \
            --request-timeout 10 \
            --wait-for-schema 30 \
            --no-color
    ) || rc=$?
    if [[ $rc -ne 0 ]]; then
        log "schemathesis as $role FAILED (exit code $rc)"
        failed+=("$role")
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        server_log_tail
        die "preflight serve died during the schemathesis run as $role"
    fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
    server_log_tail
    die "schemathesis failed for: ${failed[*]}"
fi
log "schemathesis passed for every user"
