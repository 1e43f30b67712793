#!/usr/bin/env bash
# Build the Arctic-TILT fork of vLLM 0.8.3 into a wheel (there are no published wheels).
#
#   builder/build_tilt_wheel.sh OUT_DIR            # e.g. /wheels in the Docker build stage
#   builder/build_tilt_wheel.sh /runpod-volume/wheelhouse --deps
#   builder/build_tilt_wheel.sh --patch-only CHECKOUT   # only apply the patches to a fork checkout
#
# Needs the CUDA 12.4 toolkit with nvcc (nvidia/cuda:12.4.1-devel-ubuntu22.04), a C++
# compiler (build-essential) and Python 3.10-3.12. With --deps it also downloads every pinned
# requirement into OUT_DIR, so a pod can later install offline and fast:
#   pip install --no-index --find-links OUT_DIR -c builder/constraints-gpu.txt \
#       -r builder/requirements-gpu.txt OUT_DIR/vllm-*.whl
# An existing wheel for the same TILT_REF and patch set is reused (delete OUT_DIR/.tilt-ref
# to force a build).
#
# Before building, the patches in builder/tilt-patches/ are applied to the fork, in order;
# each file says what it fixes and where. A patch that no longer applies stops the build.
set -euo pipefail

OUT_DIR=${1:?usage: build_tilt_wheel.sh OUT_DIR [--deps] | --patch-only CHECKOUT}
WITH_DEPS=${2:-}
HERE=$(cd "$(dirname "$0")" && pwd)
PATCH_DIR="$HERE/tilt-patches"
PYTHON=${PYTHON:-python3}
TILT_REPO=${TILT_REPO:-https://github.com/Snowflake-Labs/arctic-tilt.git}
TILT_REF=${TILT_REF:-4aff3bb99ffd9b33aaa40bbcff721edda0d898bf}
export SETUPTOOLS_SCM_PRETEND_VERSION=${SETUPTOOLS_SCM_PRETEND_VERSION:-0.8.3}  # the fork has no git tags
# A100 (8.0), A10/A5000/3090 (8.6), L4/4090 (8.9), H100 (9.0). vllm-flash-attn (built by the
# fork's CMake though TILT runs on xformers) follows this list: its FA2 kernels go to 8.0/9.0
# and its FA3 kernels to 8.0/9.0a. Leaving out 9.0 (e.g. "8.6;8.9" for 24 GB cards only)
# drops the Hopper kernels, the longest part of the build. VLLM_FA_CMAKE_GPU_ARCHES is not
# read by the vllm-flash-attn commit this fork pins, so it is not set here.
export TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-8.0;8.6;8.9;9.0}
export NVCC_THREADS=${NVCC_THREADS:-2}
export VLLM_TARGET_DEVICE=${VLLM_TARGET_DEVICE:-cuda}

# Compile jobs from the memory there is: each nvcc thread of a CUDA kernel file needs about
# 2 GB (MAX_JOBS=8 with NVCC_THREADS=2 peaks near 32 GB), and an OOM-killed compiler fails the
# build late and obscurely.
if [[ -z "${MAX_JOBS:-}" ]]; then
    mem_gb=$(awk '/MemAvailable/ {print int($2 / 1048576)}' /proc/meminfo)
    cpus=$(nproc)
    jobs=$(( mem_gb / (2 * NVCC_THREADS) ))
    (( jobs > cpus )) && jobs=$cpus
    (( jobs < 1 )) && jobs=1
    export MAX_JOBS=$jobs
    echo "MAX_JOBS=$MAX_JOBS (from ${mem_gb} GB available, $cpus CPUs, NVCC_THREADS=$NVCC_THREADS)"
fi

# The wheel is reused only when built from the same commit with the same patches.
PATCH_SUM=$(cat "$PATCH_DIR"/*.patch | sha256sum | cut -c1-16)
BUILD_ID="$TILT_REF+patches-$PATCH_SUM"

apply_patches() {  # $1: the fork checkout
    local patch
    for patch in "$PATCH_DIR"/*.patch; do
        if ! git -C "$1" apply --check "$patch" 2>/dev/null; then
            echo "ERROR: $(basename "$patch") no longer applies to $TILT_REF:" >&2
            git -C "$1" apply --check "$patch" >&2 || true
            echo "Update builder/tilt-patches/ for this commit (or pin the commit they were written for)." >&2
            exit 1
        fi
        git -C "$1" apply "$patch"
        echo "applied $(basename "$patch")"
    done
}

if [[ "$OUT_DIR" == "--patch-only" ]]; then
    apply_patches "${2:?usage: build_tilt_wheel.sh --patch-only CHECKOUT}"
    exit 0
fi

mkdir -p "$OUT_DIR"
if [[ -f "$OUT_DIR/.tilt-ref" && "$(cat "$OUT_DIR/.tilt-ref")" == "$BUILD_ID" ]] && ls "$OUT_DIR"/vllm-*.whl >/dev/null 2>&1; then
    echo "reusing $(ls "$OUT_DIR"/vllm-*.whl) built from $BUILD_ID"
else
    pin() { grep -E "^$1==" "$HERE/requirements-gpu.txt"; }
    "$PYTHON" -m pip install --upgrade pip
    "$PYTHON" -m pip install -c "$HERE/constraints-gpu.txt" "$(pin torch)" "cmake>=3.26" ninja packaging "setuptools>=61" "setuptools-scm>=8" wheel jinja2
    SRC=$(mktemp -d)
    git clone --filter=blob:none "$TILT_REPO" "$SRC/arctic-tilt"
    git -C "$SRC/arctic-tilt" checkout --quiet "$TILT_REF"
    apply_patches "$SRC/arctic-tilt"
    rm -f "$OUT_DIR"/vllm-*.whl
    started=$(date +%s)
    (cd "$SRC/arctic-tilt" && "$PYTHON" -m pip wheel --no-deps --no-build-isolation -w "$OUT_DIR" .)
    echo "$BUILD_ID" > "$OUT_DIR/.tilt-ref"
    echo "built $(ls "$OUT_DIR"/vllm-*.whl) in $(( $(date +%s) - started ))s (MAX_JOBS=$MAX_JOBS)"
    rm -rf "$SRC"
fi

if [[ "$WITH_DEPS" == "--deps" ]]; then
    "$PYTHON" -m pip download -d "$OUT_DIR" -r "$HERE/requirements-gpu.txt" "$OUT_DIR"/vllm-*.whl \
        -c "$HERE/requirements-gpu.txt" -c "$HERE/constraints-gpu.txt"
fi
