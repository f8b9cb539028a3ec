#!/usr/bin/env bash
# Preflight's single test command: `bash scripts/test.sh` (CI runs it through .ci/run).
#
# Installs what the tests need when missing (Debian postgresql, a .venv with schemathesis,
# the openai SDK, pytest and the STIX and OSV validators, cargo-deny, the local model in
# ~/.cache/preflight, node and node_modules/ with the CSAF validator and playwright-core,
# Debian chromium), starts a private PostgreSQL and the local model on 127.0.0.1, then
# runs, failing fast:
#   fmt, clippy, cargo-deny, cargo test, cargo build, ctf-validate, ctf-demo-validate,
#   schemathesis, gateway-sdk, inspect-export, vuln-exports, taxii-client, web-ui, demo.
# Ends with the plain line `test.sh: N passed, M failed` (N, M count stages).
#
# Environment:
#   CARGO_TARGET_DIR            default $HOME/.cache/preflight/target (outside the clone, cached)
#   PREFLIGHT_DENY_ADVISORIES=1 also run `cargo deny check advisories` (needs the advisory DB
#                               from github.com, unreachable on the project's machines)
# Tests receive:
#   PREFLIGHT_TEST_DATABASE_URL postgres://postgres@127.0.0.1:<port>/preflight_test
#   PREFLIGHT_TEST_MODEL_URL    http://127.0.0.1:<port>/v1 (the local model)
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR
source "$PREFLIGHT_ROOT/scripts/lib/postgres.sh"
# shellcheck source-path=SCRIPTDIR
source "$PREFLIGHT_ROOT/scripts/lib/python.sh"
# shellcheck source-path=SCRIPTDIR
source "$PREFLIGHT_ROOT/scripts/lib/model.sh"
# shellcheck source-path=SCRIPTDIR
source "$PREFLIGHT_ROOT/scripts/lib/sandbox.sh"
# shellcheck source-path=SCRIPTDIR
source "$PREFLIGHT_ROOT/scripts/lib/node.sh"

cd "$PREFLIGHT_ROOT"

# Pinned for fresh machines; an existing cargo-deny on PATH is used as it is.
CARGO_DENY_VERSION="${CARGO_DENY_VERSION:-0.20.2}"

PASSED=0
FAILED=0
TMP_DIRS=()
RUN_START=$SECONDS

summary() { printf 'test.sh: %d passed, %d failed\n' "$PASSED" "$FAILED"; }

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    model_stop >/dev/null 2>&1 || true
    pg_stop >/dev/null 2>&1 || true
    if [[ ${#TMP_DIRS[@]} -gt 0 ]]; then
        rm -rf "${TMP_DIRS[@]}" || true
    fi
    # A failure outside a stage (an install step, say) still counts as one failure.
    if [[ $rc -ne 0 && $FAILED -eq 0 ]]; then
        FAILED=1
    fi
    log "total time $((SECONDS - RUN_START))s"
    summary
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# stage NAME COMMAND [ARGS...]: run an external command (not a shell function, so that
# `set -e` semantics stay intact inside it); stop everything at the first failure.
stage() {
    local name="$1" start=$SECONDS rc=0
    shift
    log "stage $name: $*"
    "$@" || rc=$?
    if [[ $rc -eq 0 ]]; then
        PASSED=$((PASSED + 1))
        log "stage $name passed ($((SECONDS - start))s)"
    else
        FAILED=$((FAILED + 1))
        log "stage $name FAILED with exit code $rc ($((SECONDS - start))s)"
        exit 1
    fi
}

ensure_cargo_deny() {
    if command -v cargo-deny >/dev/null 2>&1; then
        return 0
    fi
    log "installing cargo-deny $CARGO_DENY_VERSION (cached in ~/.cargo/bin afterwards)"
    # Its own temp target dir: never the workspace's, whose lock another build may hold.
    env -u CARGO_TARGET_DIR cargo install --locked cargo-deny --version "$CARGO_DENY_VERSION"
}

mkdir -p "$CARGO_TARGET_DIR"
log "CARGO_TARGET_DIR=$CARGO_TARGET_DIR"
export RUST_BACKTRACE="${RUST_BACKTRACE:-1}"
# No incremental caches in the shared target dir: every run is a fresh clone,
# and they only grow (tens of GB after a few weeks of runs).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

stage fmt cargo fmt --all --check
stage clippy cargo clippy --workspace --all-targets -- -D warnings

ensure_cargo_deny
if [[ "${PREFLIGHT_DENY_ADVISORIES:-0}" == 1 ]]; then
    stage deny cargo deny check advisories licenses bans sources
else
    log "note: skipping 'cargo deny check advisories' (its database is fetched from github.com," \
        "which this machine cannot reach); set PREFLIGHT_DENY_ADVISORIES=1 to include it"
    stage deny cargo deny check licenses bans sources
fi

pg_ensure_installed
pg_start
# bubblewrap and the CTF tools the sandboxes expose read-only.
sandbox_tools_install
# The real local model for the gateway and evaluation tests, served by the binary itself.
cargo build -p preflight
model_start
stage test cargo test --workspace --no-fail-fast

stage build cargo build --workspace

# Every InterCode task saved as confirmed solvable is solved again by its reference
# solution in the sandbox; so is every shipped native task.
stage ctf-validate "$CARGO_TARGET_DIR/debug/preflight" eval validate suites/intercode.toml \
    --recheck suites/intercode/validation.json
stage ctf-demo-validate "$CARGO_TARGET_DIR/debug/preflight" eval validate suites/ctf-demo \
    --recheck suites/ctf-demo/validation.json

ensure_python_tools
stage schemathesis bash "$PREFLIGHT_ROOT/scripts/schemathesis.sh"
stage gateway-sdk bash "$PREFLIGHT_ROOT/scripts/gateway_sdk.sh"
stage inspect-export bash "$PREFLIGHT_ROOT/scripts/inspect_export.sh"
ensure_node_tools
stage vuln-exports bash "$PREFLIGHT_ROOT/scripts/vuln_exports.sh" "$CARGO_TARGET_DIR/debug/preflight"
stage taxii-client bash "$PREFLIGHT_ROOT/scripts/taxii_client.sh"
stage web-ui bash "$PREFLIGHT_ROOT/scripts/web_ui.sh"

demo_dir="$(mktemp -d "${TMPDIR:-/tmp}/preflight-demo.XXXXXX")"
TMP_DIRS+=("$demo_dir")
stage demo "$CARGO_TARGET_DIR/debug/preflight" demo --exit --data-dir "$demo_dir"

# cleanup (EXIT trap) stops PostgreSQL and prints the summary line last.
