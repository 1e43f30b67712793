#!/usr/bin/env bash
# Fetch the models into the model cache once (a pod with the network volume mounted, or the
# image build when baking weights). Same as: python -m model_cache prefetch [--tilt] [--ocr]
set -euo pipefail
cd "$(dirname "$0")/.."
exec python -m model_cache prefetch "$@"
