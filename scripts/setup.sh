#!/usr/bin/env bash
# Create .venv and install faceapp with the GUI, trainer, benchmark and test extras. Idempotent; offline at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# The trainer's CPU build of PyTorch (a GPU user installs a CUDA build instead; see README).
.venv/bin/python -m pip install -q "torch==2.13.0"
.venv/bin/python -m pip install -q -e ".[gui,train,bench,test]"
# Debian/Ubuntu packages, installed when run as root:
#  - exiftool reads exported XMP back in the tests; strace watches for network system calls in
#    tests/test_offline_native.py; desktop-file-validate checks `faceapp install-desktop`'s entry;
#    Xvfb + openbox give the GUI tests a real X server and window manager (scripts/test.sh);
#  - what Qt (PySide6) loads for the offscreen platform (the tests) and for the xcb platform (the app on an
#    X11 desktop): the shared libraries of libqxcb.so, libQt6XcbQpa, libQt6Gui and their plugins (ldd, dpkg -S).
tools=(libimage-exiftool-perl strace desktop-file-utils xvfb xauth openbox)
qt=(libegl1 libgl1 libfontconfig1 libdbus-1-3 libglib2.0-0 libxkbcommon0 libxkbcommon-x11-0 libx11-6 libx11-xcb1
    libxcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render0
    libxcb-render-util0 libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-util1 libxcb-xfixes0 libxcb-xkb1)
if command -v apt-get >/dev/null && command -v dpkg-query >/dev/null && [ "$(id -u)" = 0 ]; then
  need=()
  for p in "${tools[@]}" "${qt[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need+=("$p")
  done
  if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq || true
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null 2>&1; then
      # one name this release lacks (e.g. renamed in Ubuntu 24.04's t64 transition) must not stop the others
      for p in "${need[@]}"; do
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null 2>&1 \
          || echo "warning: could not install $p; what needs it will skip or fail" >&2
      done
    fi
  fi
fi
