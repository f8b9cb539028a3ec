# shellcheck shell=bash
# Python tools for the tests (schemathesis, the openai SDK, the STIX and OSV validators, the
# TAXII client) in a venv at .venv/ of the repository. Source after common.sh.

# Pinned: the CLI flags in scripts/schemathesis.sh were checked against this version.
SCHEMATHESIS_VERSION="${SCHEMATHESIS_VERSION:-4.32.5}"
# The official OpenAI SDK, for talking to the gateway as clients do.
OPENAI_VERSION="${OPENAI_VERSION:-3.57.0}"
# The runner of the SDK tests in tests/sdk.
PYTEST_VERSION="${PYTEST_VERSION:-8.4.2}"
# The OASIS STIX 2.1 validator, for the clearinghouse's STIX bundles (scripts/vuln_exports.sh);
# not 3.3.1, whose wheel lacks the STIX schemas.
STIX2_VALIDATOR_VERSION="${STIX2_VALIDATOR_VERSION:-3.3.2}"
# JSON Schema, for the clearinghouse's OSV records against the OSV schema.
JSONSCHEMA_VERSION="${JSONSCHEMA_VERSION:-4.26.0}"
# The OASIS TAXII 2.1 client.
TAXII2_CLIENT_VERSION="${TAXII2_CLIENT_VERSION:-2.3.0}"
PREFLIGHT_VENV="${PREFLIGHT_VENV:-$PREFLIGHT_ROOT/.venv}"

# True if the venv has distribution $1 at version $2 (its dist-info directory is there:
# no Python start-up, so the check costs nothing).
_venv_has() {
    local d
    for d in "$PREFLIGHT_VENV"/lib/python3*/site-packages/"$1-$2".dist-info; do
        [[ -d "$d" ]] && return 0
    done
    return 1
}

# Create the venv and install the pinned tools unless they are all there already.
ensure_python_tools() {
    local -a want=(
        "schemathesis==$SCHEMATHESIS_VERSION"
        "openai==$OPENAI_VERSION"
        "pytest==$PYTEST_VERSION"
        "stix2-validator==$STIX2_VALIDATOR_VERSION"
        "jsonschema==$JSONSCHEMA_VERSION"
        "taxii2-client==$TAXII2_CLIENT_VERSION"
    )
    local req name missing=0
    for req in "${want[@]}"; do
        # A dist-info directory spells the name with underscores: stix2_validator-3.3.2.
        name="${req%%==*}"
        _venv_has "${name//-/_}" "${req#*==}" || missing=1
    done
    if [[ -x "$PREFLIGHT_VENV/bin/python" && $missing -eq 0 ]]; then
        return 0
    fi
    if [[ ! -x "$PREFLIGHT_VENV/bin/python" ]]; then
        log "creating venv $PREFLIGHT_VENV"
        "$(preflight_python)" -m venv "$PREFLIGHT_VENV"
    fi
    log "pip install ${want[*]}"
    "$PREFLIGHT_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        --no-input "${want[@]}"
    "$PREFLIGHT_VENV/bin/schemathesis" --version
    "$PREFLIGHT_VENV/bin/python" -c 'import openai; print("openai", openai.__version__)'
    "$PREFLIGHT_VENV/bin/python" -c 'import importlib.metadata as m, stix2validator, jsonschema, taxii2client
for d in ("stix2-validator", "jsonschema", "taxii2-client"):
    print(d, m.version(d))'
}

schemathesis_bin() { printf '%s\n' "$PREFLIGHT_VENV/bin/schemathesis"; }

# Inspect (inspect-ai), whose `inspect log dump` must read our `.eval` export; in a venv
# of its own (.venv-inspect) so its dependencies never meet the other tools'.
INSPECT_VERSION="${INSPECT_VERSION:-0.3.285}"
INSPECT_VENV="${INSPECT_VENV:-$PREFLIGHT_ROOT/.venv-inspect}"

ensure_inspect() {
    local d found=0
    for d in "$INSPECT_VENV"/lib/python3*/site-packages/inspect_ai-"$INSPECT_VERSION".dist-info \
        "$INSPECT_VENV"/lib/python3*/site-packages/pytest-"$PYTEST_VERSION".dist-info; do
        [[ -d "$d" ]] && found=$((found + 1))
    done
    [[ $found -eq 2 ]] && return 0
    if [[ ! -x "$INSPECT_VENV/bin/python" ]]; then
        log "creating venv $INSPECT_VENV"
        "$(preflight_python)" -m venv "$INSPECT_VENV"
    fi
    log "pip install inspect-ai==$INSPECT_VERSION pytest==$PYTEST_VERSION"
    "$INSPECT_VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        "inspect-ai==$INSPECT_VERSION" "pytest==$PYTEST_VERSION"
}
