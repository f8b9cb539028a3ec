#!/usr/bin/env bash
# The web interface of `preflight serve` in headless Chromium (node --test, tests/web):
# each role signs in through the form and lands on its page, refused sign-ins and the
# lockout, the session cookie, CSRF refusals, sign-out, and who may open a review.
# Screenshots of each page and the server's log land in test-output/web/.
#
#   bash scripts/web_ui.sh [NODE_TEST_ARGS...]
#
# Needs: the debug binary (cargo build --workspace); installs Chromium and node_modules/
# when missing (scripts/lib/node.sh).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source-path=SCRIPTDIR
source "$PREFLIGHT_ROOT/scripts/lib/node.sh"

BIN="$CARGO_TARGET_DIR/debug/preflight"
[[ -x "$BIN" ]] || die "$BIN not found: run 'cargo build --workspace' first"
ensure_node_tools

cd "$PREFLIGHT_ROOT"
PREFLIGHT_BIN="$BIN" node --test "$@" tests/web/*.test.mjs
