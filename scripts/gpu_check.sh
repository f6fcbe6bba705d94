#!/usr/bin/env bash
# The GPU paths, checked in one run (under 8 minutes on one GPU): onnxruntime-gpu embeddings against the
# CPU's, a scan of celeba_dev on the GPU, `faceapp train --device cuda`, DDP through torchrun.
# One summary line per check (PASS / FAIL / SKIP with the reason) on stdout and in $OUT_FILE.
#
#   bash scripts/gpu_check.sh                 # prepares ~/.cache/faceapp/gpu-venv once (needs PyPI), then checks
#   GPU_PYTHON=/path/to/python bash scripts/gpu_check.sh   # a Python that already has torch (CUDA) and
#                                             # onnxruntime-gpu: no install at all (machines without network)
# Env: GPU_VENV (~/.cache/faceapp/gpu-venv), TORCH_INDEX (https://download.pytorch.org/whl/cu128), FACEAPP_SHARED_DATA
# (../shared/data), OUT_FILE ($OUT or /tmp, gpu_check.txt), GPU_CHECK_ARGS (extra flags for scripts/gpu_check.py).
# On a machine without a GPU the CUDA checks are skipped with their reason; DDP runs on gloo.
set -uo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
VENV=${GPU_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/faceapp/gpu-venv}
TORCH_INDEX=${TORCH_INDEX:-https://download.pytorch.org/whl/cu128}
OUT_FILE=${OUT_FILE:-${OUT:-/tmp}/gpu_check.txt}  # $OUT: the folder a device run brings back
have_gpu() { command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; }

if [ -n "${GPU_PYTHON:-}" ]; then
  PYBIN=$GPU_PYTHON
elif [ -x "$VENV/bin/python" ]; then
  PYBIN=$VENV/bin/python
else
  echo "== preparing $VENV (torch from $TORCH_INDEX, onnxruntime-gpu, faceapp's dependencies)"
  mkdir -p "$(dirname "$VENV")" && python3 -m venv "$VENV" && PYBIN=$VENV/bin/python
  ok=1
  if have_gpu; then
    timeout 600 "$PYBIN" -m pip install -q torch --index-url "$TORCH_INDEX" || ok=0
  else
    timeout 600 "$PYBIN" -m pip install -q torch --index-url https://download.pytorch.org/whl/cpu || ok=0
  fi
  # faceapp's runtime and trainer dependencies; the CPU onnxruntime then makes way for the GPU one (they
  # share the `onnxruntime` module); [cuda,cudnn] brings the CUDA/cuDNN libraries as pip packages
  if have_gpu; then  # the README's GPU command, as a user runs it
    timeout 600 "$PYBIN" -m pip install -q -e "$REPO[train,gpu]" || ok=0
    "$PYBIN" -m pip uninstall -q -y onnxruntime
    timeout 600 "$PYBIN" -m pip install -q --force-reinstall --no-deps "onnxruntime-gpu[cuda,cudnn]>=1.17,<1.33" || ok=0
  else
    timeout 600 "$PYBIN" -m pip install -q -e "$REPO[train]" || ok=0
  fi
  if [ $ok = 0 ]; then
    echo "could not prepare $VENV (no network?); on a machine without one set GPU_PYTHON to a Python that has" \
         "torch and onnxruntime-gpu, or carry a prepared venv" >&2
    if ! "$PYBIN" -c "import torch, onnxruntime, cv2" 2>/dev/null; then
      rm -rf "$VENV"
      for cand in "$REPO/.venv/bin/python" python3; do
        if "$cand" -c "import torch, onnxruntime, cv2, sqlite_utils" 2>/dev/null; then PYBIN=$cand; break; fi
      done
      echo "using $PYBIN instead: checks it cannot do are skipped with the reason" >&2
    fi
  fi
fi
have_gpu && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
# shellcheck disable=SC2086
timeout 900 "$PYBIN" scripts/gpu_check.py --out "$OUT_FILE" ${GPU_CHECK_ARGS:-}
