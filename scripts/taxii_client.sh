#!/usr/bin/env bash
# The TAXII 2.1 server read by taxii2-client (pytest, tests/taxii): each organisation gets
# exactly the advisories its TLP labels and audiences allow, paged as the client pages.
#
# Needs: the debug binary (cargo build --workspace), the .venv of scripts/lib/python.sh.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR
source "$PREFLIGHT_ROOT/scripts/lib/python.sh"

BIN="$CARGO_TARGET_DIR/debug/preflight"
[[ -x "$BIN" ]] || die "$BIN not found: run 'cargo build --workspace' first"
ensure_python_tools

cd "$PREFLIGHT_ROOT/tests/taxii"
PREFLIGHT_BIN="$BIN" "$PREFLIGHT_VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
