# syntax=docker/dockerfile:1
# GPU worker: PaddleOCR (own virtualenv, child process) + Arctic-TILT on the Arctic-TILT fork of
# vLLM 0.8.3, weights on the RunPod network volume (or baked in with BAKE_MODELS).
#
#   docker build -t you/receipt-extraction:gpu .
#   docker build -t you/receipt-extraction:gpu-baked --build-arg BAKE_MODELS="--tilt --ocr" .
#
# See docs/deploy.md.

ARG CUDA_DEVEL_IMAGE=nvidia/cuda:12.4.1-devel-ubuntu22.04
ARG CUDA_RUNTIME_IMAGE=nvidia/cuda:12.4.1-base-ubuntu22.04

# --------------------------------------------------------------------------- build stage
# Compiles the fork into a wheel: its CUDA kernels differ from upstream vLLM, so no upstream
# binary fits. Only the wheel leaves this stage.
FROM ${CUDA_DEVEL_IMAGE} AS tilt-build
ARG TILT_REPO=https://github.com/Snowflake-Labs/arctic-tilt.git
ARG TILT_REF=4aff3bb99ffd9b33aaa40bbcff721edda0d898bf
# A100 (8.0), A10/A5000/3090 (8.6), L4/4090 (8.9), H100 (9.0)
ARG TORCH_CUDA_ARCH_LIST="8.0;8.6;8.9;9.0"
# empty: derived from the build machine's memory (about 2 GB per nvcc thread)
ARG MAX_JOBS=""
ARG NVCC_THREADS=2
ENV DEBIAN_FRONTEND=noninteractive \
    PIP_NO_CACHE_DIR=1 \
    SETUPTOOLS_SCM_PRETEND_VERSION=0.8.3 \
    TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST} \
    MAX_JOBS=${MAX_JOBS} \
    NVCC_THREADS=${NVCC_THREADS} \
    TILT_REPO=${TILT_REPO} \
    TILT_REF=${TILT_REF}
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential git python3 python3-dev python3-pip python3-venv \
    && rm -rf /var/lib/apt/lists/*
COPY builder/requirements-gpu.txt builder/constraints-gpu.txt builder/build_tilt_wheel.sh /build/builder/
COPY builder/tilt-patches/ /build/builder/tilt-patches/
RUN bash /build/builder/build_tilt_wheel.sh /wheels

# --------------------------------------------------------------------------- runtime stage
FROM ${CUDA_RUNTIME_IMAGE} AS runtime
ARG BAKE_MODELS=""
ARG PADDLE_REQUIREMENTS=builder/requirements-paddle-gpu.txt
ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# gcc: triton compiles small helpers at run time; libgl/libglib: OpenCV (vLLM and PaddleX)
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-pip python3-venv python3-dev gcc libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/* \
    && ln -sf /usr/bin/python3 /usr/local/bin/python

WORKDIR /app
COPY builder/ /app/builder/
COPY --from=tilt-build /wheels /wheels
RUN python -m pip install --upgrade pip \
    && python -m pip install -c builder/requirements-gpu.txt -c builder/constraints-gpu.txt \
        -r builder/requirements-gpu.txt /wheels/vllm-*.whl \
    && rm -rf /wheels

# PaddleOCR in its own environment (see builder/requirements-paddle-gpu.txt for why).
RUN python -m venv /opt/paddle \
    && /opt/paddle/bin/pip install --upgrade pip \
    && /opt/paddle/bin/pip install -r ${PADDLE_REQUIREMENTS}

COPY pyproject.toml README.md /app/
COPY extraction/ /app/extraction/
COPY model_cache/ /app/model_cache/
COPY schemas/ /app/schemas/
COPY handler.py test_input.json /app/
RUN python -m pip install -c builder/requirements-gpu.txt -c builder/constraints-gpu.txt /app

# Models and caches live on the network volume; nothing is downloaded at build time unless
# BAKE_MODELS names groups ("--tilt --ocr"), which then go to /opt/models inside the image.
ENV HF_HOME=/runpod-volume/huggingface-cache \
    HF_HUB_CACHE=/runpod-volume/huggingface-cache/hub \
    PADDLE_PDX_CACHE_HOME=/runpod-volume/paddlex \
    PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK=True \
    MODEL_CACHE_DIR=${BAKE_MODELS:+/opt/models} \
    OCR_ENGINE=paddle \
    EXTRACTOR=auto \
    PADDLE_MODE=subprocess \
    PADDLE_PYTHON=/opt/paddle/bin/python \
    PADDLE_DEVICE=gpu:0 \
    VLLM_ATTENTION_BACKEND=XFORMERS \
    VLLM_USE_V1=0 \
    TILT_GPU_MEMORY_UTILIZATION=0.8
RUN if [ -n "${BAKE_MODELS}" ]; then \
        HF_HOME=/tmp/hf MODEL_CACHE_DIR=/opt/models python -m model_cache prefetch ${BAKE_MODELS} \
        && rm -rf /opt/models/.tmp /opt/models/.locks /tmp/hf; \
    fi

CMD ["python", "-u", "handler.py"]
