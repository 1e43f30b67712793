#!/usr/bin/env bash
# Build the Arctic-TILT fork of vLLM 0.8.3 into a wheel (there are no published wheels).
#
#   builder/build_tilt_wheel.sh OUT_DIR            # e.g. /wheels in the Docker build stage
#   builder/build_tilt_wheel.sh /runpod-volume/wheelhouse --deps
#
# Needs the CUDA 12.4 toolkit with nvcc (nvidia/cuda:12.4.1-devel-ubuntu22.04) and Python
# 3.10-3.12. With --deps it also downloads every pinned requirement into OUT_DIR, so a pod can
# later install offline and fast:
#   pip install --no-index --find-links OUT_DIR -r builder/requirements-gpu.txt OUT_DIR/vllm-*.whl
# An existing wheel for the same TILT_REF is reused (delete OUT_DIR/.tilt-ref to force a build).
set -euo pipefail

OUT_DIR=${1:?usage: build_tilt_wheel.sh OUT_DIR [--deps]}
WITH_DEPS=${2:-}
HERE=$(cd "$(dirname "$0")" && pwd)
PYTHON=${PYTHON:-python3}
TILT_REPO=${TILT_REPO:-https://github.com/Snowflake-Labs/arctic-tilt.git}
TILT_REF=${TILT_REF:-4aff3bb99ffd9b33aaa40bbcff721edda0d898bf}
export SETUPTOOLS_SCM_PRETEND_VERSION=${SETUPTOOLS_SCM_PRETEND_VERSION:-0.8.3}  # the fork has no git tags
export TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-8.0;8.6;8.9;9.0}  # A100, A10/A5000/3090, L4/4090, H100
export MAX_JOBS=${MAX_JOBS:-8}
export NVCC_THREADS=${NVCC_THREADS:-2}
export VLLM_TARGET_DEVICE=${VLLM_TARGET_DEVICE:-cuda}

mkdir -p "$OUT_DIR"
if [[ -f "$OUT_DIR/.tilt-ref" && "$(cat "$OUT_DIR/.tilt-ref")" == "$TILT_REF" ]] && ls "$OUT_DIR"/vllm-*.whl >/dev/null 2>&1; then
    echo "reusing $(ls "$OUT_DIR"/vllm-*.whl) built from $TILT_REF"
else
    pin() { grep -E "^$1==" "$HERE/requirements-gpu.txt"; }
    "$PYTHON" -m pip install --upgrade pip
    "$PYTHON" -m pip install "$(pin torch)" "cmake>=3.26" ninja packaging "setuptools>=61" "setuptools-scm>=8" wheel jinja2
    SRC=$(mktemp -d)
    git clone --filter=blob:none "$TILT_REPO" "$SRC/arctic-tilt"
    git -C "$SRC/arctic-tilt" checkout --quiet "$TILT_REF"
    rm -f "$OUT_DIR"/vllm-*.whl
    started=$(date +%s)
    (cd "$SRC/arctic-tilt" && "$PYTHON" -m pip wheel --no-deps --no-build-isolation -w "$OUT_DIR" .)
    echo "$TILT_REF" > "$OUT_DIR/.tilt-ref"
    echo "built $(ls "$OUT_DIR"/vllm-*.whl) in $(( $(date +%s) - started ))s"
    rm -rf "$SRC"
fi

if [[ "$WITH_DEPS" == "--deps" ]]; then
    "$PYTHON" -m pip download -d "$OUT_DIR" -r "$HERE/requirements-gpu.txt" "$OUT_DIR"/vllm-*.whl \
        -c "$HERE/requirements-gpu.txt"
fi
