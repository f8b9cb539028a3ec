# shellcheck shell=bash
# Python tooling (schemathesis) in a venv at .venv/ of the repository. Source after common.sh.

# Pinned: the CLI flags in scripts/schemathesis.sh were checked against this version.
SCHEMATHESIS_VERSION="${SCHEMATHESIS_VERSION:-4.32.5}"
PREFLIGHT_VENV="${PREFLIGHT_VENV:-$PREFLIGHT_ROOT/.venv}"

# Create the venv and install schemathesis unless the pinned version is already there.
ensure_schemathesis() {
    local st="$PREFLIGHT_VENV/bin/schemathesis"
    if [[ -x "$st" ]] && "$st" --version 2>/dev/null | grep -qF "version $SCHEMATHESIS_VERSION"; then
        return 0
    fi
    if [[ ! -x "$PREFLIGHT_VENV/bin/python" ]]; then
        log "creating venv $PREFLIGHT_VENV"
        "$(preflight_python)" -m venv "$PREFLIGHT_VENV"
    fi
    log "pip install schemathesis==$SCHEMATHESIS_VERSION"
    "$PREFLIGHT_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        --no-input "schemathesis==$SCHEMATHESIS_VERSION"
    "$st" --version
}

schemathesis_bin() { printf '%s\n' "$PREFLIGHT_VENV/bin/schemathesis"; }
