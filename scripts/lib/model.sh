# shellcheck shell=bash
# The local model (Gemma 3 270M behind llama-cpp-python's OpenAI-compatible server) for the
# tests, run by the binary itself. Source after common.sh; needs a built debug binary.
#
#   model_start   run `preflight model serve` in the background (it installs the model into
#                 ~/.cache/preflight on first use: 4 to 10 minutes, seconds afterwards), wait
#                 for its `model ready at URL` line and export PREFLIGHT_TEST_MODEL_URL
#                 (http://127.0.0.1:<port>/v1)
#   model_stop    stop it (safe to call twice)

MODEL_PID=""
MODEL_DIR=""
# Generous: the first install builds llama.cpp from source on 2 cores.
MODEL_START_TIMEOUT="${MODEL_START_TIMEOUT:-900}"

model_start() {
    local bin="$CARGO_TARGET_DIR/debug/preflight"
    [[ -x "$bin" ]] || die "$bin not found: build it before model_start"
    MODEL_DIR="$(mktemp -d "${TMPDIR:-/tmp}/preflight-model.XXXXXX")"
    log "starting the local model: $bin model serve"
    # Its progress (install steps, pip's output) goes to our stderr; stdout to a file.
    "$bin" model serve >"$MODEL_DIR/stdout" &
    MODEL_PID=$!

    local deadline=$((SECONDS + MODEL_START_TIMEOUT)) line=""
    while :; do
        line="$(grep -m1 '^model ready at ' "$MODEL_DIR/stdout" || true)"
        [[ -z "$line" ]] || break
        if ! kill -0 "$MODEL_PID" 2>/dev/null; then
            local rc=0
            wait "$MODEL_PID" || rc=$?
            MODEL_PID=""
            die "preflight model serve exited with code $rc before the model was ready"
        fi
        if ((SECONDS >= deadline)); then
            model_stop
            die "the local model was not ready within ${MODEL_START_TIMEOUT}s"
        fi
        sleep 1
    done
    PREFLIGHT_TEST_MODEL_URL="${line#model ready at }"
    export PREFLIGHT_TEST_MODEL_URL
    log "local model up: $PREFLIGHT_TEST_MODEL_URL"
}

model_stop() {
    if [[ -n "$MODEL_PID" ]]; then
        # SIGTERM: preflight stops the server, waits for it, then exits.
        kill -TERM "$MODEL_PID" 2>/dev/null || true
        local deadline=$((SECONDS + 10))
        while kill -0 "$MODEL_PID" 2>/dev/null && ((SECONDS < deadline)); do
            sleep 0.1
        done
        kill -KILL "$MODEL_PID" 2>/dev/null || true
        wait "$MODEL_PID" 2>/dev/null || true
        MODEL_PID=""
    fi
    if [[ -n "$MODEL_DIR" ]]; then
        rm -rf "$MODEL_DIR"
        MODEL_DIR=""
    fi
    unset PREFLIGHT_TEST_MODEL_URL
}
