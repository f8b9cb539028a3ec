#!/usr/bin/env bash
# The gateway through the official OpenAI Python SDK (pytest, tests/sdk): plain, streamed
# and tool-call requests to the real local model and to an Anthropic Messages fake, then a
# scan of the server's log and database files and of every response for the upstream keys.
#
# Needs: the debug binary (cargo build --workspace), PREFLIGHT_TEST_MODEL_URL (the local
# model; scripts/test.sh starts it), the .venv of scripts/lib/python.sh.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR
source "$PREFLIGHT_ROOT/scripts/lib/python.sh"

BIN="$CARGO_TARGET_DIR/debug/preflight"
[[ -x "$BIN" ]] || die "$BIN not found: run 'cargo build --workspace' first"
[[ -n "${PREFLIGHT_TEST_MODEL_URL:-}" ]] || die "PREFLIGHT_TEST_MODEL_URL is not set: start the local model (scripts/lib/model.sh)"
ensure_python_tools

cd "$PREFLIGHT_ROOT/tests/sdk"
PREFLIGHT_BIN="$BIN" "$PREFLIGHT_VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
