#!/usr/bin/env bash
# Create .venv and install faceapp with the GUI, trainer and test extras. Idempotent; offline at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# The trainer's CPU build of PyTorch (a GPU user installs a CUDA build instead; see README).
.venv/bin/python -m pip install -q "torch==2.13.0"
.venv/bin/python -m pip install -q -e ".[gui,train,test]"
# exiftool reads exported XMP back in the tests; strace watches for network system calls in
# tests/test_offline_native.py; Qt's offscreen platform needs a few X/GL libraries.
if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  need=()
  command -v exiftool >/dev/null || need+=(libimage-exiftool-perl)
  command -v strace >/dev/null || need+=(strace)
  for lib in libEGL.so.1 libGL.so.1 libxkbcommon.so.0 libfontconfig.so.1 libdbus-1.so.3; do
    ldconfig -p | grep -q "$lib" || need+=("$lib")
  done
  if [ ${#need[@]} -gt 0 ]; then
    pkgs=()
    for n in "${need[@]}"; do
      case "$n" in
        libEGL.so.1) pkgs+=(libegl1) ;; libGL.so.1) pkgs+=(libgl1) ;; libxkbcommon.so.0) pkgs+=(libxkbcommon0) ;;
        libfontconfig.so.1) pkgs+=(libfontconfig1) ;; libdbus-1.so.3) pkgs+=(libdbus-1-3) ;; *) pkgs+=("$n") ;;
      esac
    done
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null) \
      || echo "warning: could not install ${pkgs[*]}; tests that need them will skip" >&2
  fi
fi
