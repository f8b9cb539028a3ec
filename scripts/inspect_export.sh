#!/usr/bin/env bash
# Inspect reads Preflight's `.eval` export: a real run of suites/smoke.toml against the
# local model, exported, then `inspect log dump` (inspect-ai from PyPI, in .venv-inspect)
# must show the same samples, scores and model (tests/inspect).
#
# Needs: the debug binary, PREFLIGHT_TEST_MODEL_URL (scripts/test.sh starts the model).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR
source "$PREFLIGHT_ROOT/scripts/lib/python.sh"

BIN="$CARGO_TARGET_DIR/debug/preflight"
[[ -x "$BIN" ]] || die "$BIN not found: run 'cargo build --workspace' first"
[[ -n "${PREFLIGHT_TEST_MODEL_URL:-}" ]] || die "PREFLIGHT_TEST_MODEL_URL is not set: start the local model (scripts/lib/model.sh)"
ensure_inspect

cd "$PREFLIGHT_ROOT/tests/inspect"
PREFLIGHT_BIN="$BIN" INSPECT_BIN="$INSPECT_VENV/bin/inspect" \
    "$INSPECT_VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
