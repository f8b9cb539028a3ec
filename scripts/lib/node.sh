# shellcheck shell=bash
# Node tools for the tests (the CSAF validator library, playwright-core for the browser
# tests) in node_modules/ of the repository, from the committed package.json and
# package-lock.json, and Debian's Chromium for playwright-core to drive. Source after
# common.sh.
#
#   ensure_node_tools   apt-get install nodejs and npm if node is missing, chromium and
#                       fonts-liberation if /usr/bin/chromium is, then `npm ci` unless
#                       node_modules/ was installed from this very lock file

# Where the lock file's hash is kept after a successful `npm ci`.
_NODE_STAMP="$PREFLIGHT_ROOT/node_modules/.preflight-lock.sha256"

ensure_node_tools() {
    if ! command -v node >/dev/null 2>&1; then
        apt_install nodejs npm >/dev/null
    fi
    command -v npm >/dev/null 2>&1 || die "node is installed but npm is not (apt-get install npm)"
    # playwright-core brings no browser of its own; it drives Debian's.
    if [[ ! -x /usr/bin/chromium ]]; then
        apt_install chromium fonts-liberation >/dev/null
    fi

    local lock="$PREFLIGHT_ROOT/package-lock.json" want
    [[ -f "$lock" ]] || die "$lock not found"
    want="$(sha256sum "$lock")"
    want="${want%% *}"
    if [[ -f "$_NODE_STAMP" && "$(<"$_NODE_STAMP")" == "$want" ]]; then
        return 0
    fi
    log "npm ci (node $(node --version), npm $(npm --version))"
    (cd "$PREFLIGHT_ROOT" && npm ci --no-audit --no-fund --loglevel=warn)
    printf '%s\n' "$want" >"$_NODE_STAMP"
}
