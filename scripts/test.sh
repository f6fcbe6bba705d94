#!/usr/bin/env bash
# The test suite. Under a real X server with a window manager when one can be had (Xvfb + openbox: the GUI
# tests then see what a user sees, e.g. pages drawn over each other that Qt's offscreen platform hides),
# else on Qt's offscreen platform (FACEAPP_TEST_OFFSCREEN=1 asks for it). Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${FACEAPP_TEST_OFFSCREEN:-}" ] && command -v xvfb-run >/dev/null && command -v openbox >/dev/null; then
  exec xvfb-run -a -s "-screen 0 1600x1000x24" env FACEAPP_TEST_X=1 \
    bash -c 'openbox >/dev/null 2>&1 & sleep 1; .venv/bin/python -m pytest -q -ra "$@"; rc=$?; kill %1 2>/dev/null; exit $rc' _ "$@"
fi
QT_QPA_PLATFORM=offscreen exec .venv/bin/python -m pytest -q -ra "$@"
