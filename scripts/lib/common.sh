# shellcheck shell=bash
# Shared helpers for scripts/test.sh and scripts/schemathesis.sh. Source, don't run.

# Repository root (this file lives in scripts/lib/).
PREFLIGHT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PREFLIGHT_ROOT

# Cargo's own bin dir (cargo-deny lands there) may be missing from a bare CI PATH.
if [[ -d "$HOME/.cargo/bin" && ":$PATH:" != *":$HOME/.cargo/bin:"* ]]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi

# Build outputs live outside the clone so that they survive between runs.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/preflight/target}"

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# The Python interpreter used for helpers and for the venv.
preflight_python() {
    if [[ -n "${PYTHON:-}" ]]; then
        printf '%s\n' "$PYTHON"
    elif command -v python3 >/dev/null 2>&1; then
        command -v python3
    elif [[ -x /root/.pyenv/shims/python3 ]]; then
        printf '%s\n' /root/.pyenv/shims/python3
    else
        die "python3 not found (set PYTHON=/path/to/python3)"
    fi
}

# Print a TCP port on 127.0.0.1 that is free right now (the kernel picks it).
free_port() {
    "$(preflight_python)" - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

# Run apt-get update at most once per process tree.
_PREFLIGHT_APT_UPDATED="${_PREFLIGHT_APT_UPDATED:-0}"
apt_install() {
    [[ $EUID -eq 0 ]] || die "need root to apt-get install $*"
    export DEBIAN_FRONTEND=noninteractive
    if [[ "$_PREFLIGHT_APT_UPDATED" != 1 ]]; then
        log "apt-get update"
        apt-get update -q
        _PREFLIGHT_APT_UPDATED=1
        export _PREFLIGHT_APT_UPDATED
    fi
    log "apt-get install -y $*"
    apt-get install -y -q --no-install-recommends "$@"
}
