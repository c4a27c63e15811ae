#!/usr/bin/env bash
# One-shot GPU check for the device machine: CUDA parity tests, then the engine benchmark.
# Usage (repo root, on a CUDA box): OUT=/some/dir bash bench/gpu_check.sh
# Optional wheels (pytest-asyncio) in .whl/ are installed first.
set -uo pipefail
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
OUT=${OUT:-bench/results}
if compgen -G ".whl/*.whl" >/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site
fi
nvidia-smi -L
python3 -c "import torch, google.protobuf as p; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'protobuf', p.__version__)"
python3 -m pytest -q -p no:cacheprovider -o addopts= tests/engine 2>&1 | tail -8
python3 bench/engine.py --device cuda --sizes 512 1024 --users 16 --json "$OUT/engine-cuda.json"
python3 bench/engine.py --device cuda --sizes 1024 --users 64 --json "$OUT/engine-cuda-64users.json"
