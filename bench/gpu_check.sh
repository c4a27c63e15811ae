#!/usr/bin/env bash
# One-shot GPU check for the device machine: CUDA parity tests, then the engine benchmark.
# Usage (repo root, on a CUDA box): OUT=/some/dir bash bench/gpu_check.sh
set -uo pipefail
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
OUT=${OUT:-bench/results}
nvidia-smi -L
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
python3 -m pytest -q -p no:cacheprovider -o addopts= tests/engine/test_cuda.py tests/engine/test_styles.py 2>&1 | tail -5
python3 bench/engine.py --device cuda --sizes 512 1024 --users 16 --json "$OUT/engine-cuda.json"
python3 bench/engine.py --device cuda --sizes 1024 --users 64 --json "$OUT/engine-cuda-64users.json"
