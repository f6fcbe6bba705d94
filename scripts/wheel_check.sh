#!/usr/bin/env bash
# Build faceapp's sdist and wheel (the wheel from the sdist, as PyPI users get it), install the wheel with
# the GUI extra into a fresh venv outside the repository, and run the main commands from outside it:
# nothing may come from the source tree. Needs PyPI (or a mirror pip is set up for). About two minutes.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-python3}
WORK=$(mktemp -d /tmp/faceapp-wheel.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
step() { printf '\n== %s\n' "$*"; }

step "build sdist and wheel"
"$PY" -m venv "$WORK/buildenv"
"$WORK/buildenv/bin/python" -m pip install -q build
"$WORK/buildenv/bin/python" -m build -q --outdir "$WORK/dist" "$REPO" >/dev/null
ls -l "$WORK/dist"
whl=$(ls "$WORK"/dist/faceapp-*.whl)

step "install the wheel into a fresh venv"
"$PY" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install -q "$whl[gui]"
F="$WORK/venv/bin/faceapp"

cd "$WORK"  # outside the repository
export FACEAPP_HOME="$WORK/home" XDG_DATA_HOME="$WORK/xdg" QT_QPA_PLATFORM=offscreen
unset PYTHONPATH
album=$("$WORK/venv/bin/python" -c "import faceapp, faceapp.paths as p; print(p.SAMPLE_ALBUM); assert p.SAMPLE_ALBUM.is_relative_to('$WORK/venv'), (faceapp.__file__, p.SAMPLE_ALBUM)")
echo "sample album: $album"
"$F" --version

step "scan (no path: the bundled album), cluster, people, verify"
"$F" scan --db lib.db -q
"$F" cluster --db lib.db
"$F" people --db lib.db | head -5
"$F" verify --db lib.db "$album/George_Clooney_0001.jpg" "$album/George_Clooney_0002.jpg" | tee verify.txt
grep -q "SAME person" verify.txt
"$F" verify --db lib.db "$album/George_Clooney_0001.jpg" "$album/Martha_Burk_0001.jpg" | grep -q "DIFFERENT people"

step "gui --screenshots (offscreen)"
"$F" gui --screenshots shots
n=$(ls shots/*.png | wc -l)
[ "$n" -ge 5 ] || { echo "only $n screenshots" >&2; exit 1; }

step "install-desktop"
"$F" install-desktop
if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate "$XDG_DATA_HOME/applications/faceapp.desktop"
  echo "desktop-file-validate: ok"
else
  echo "desktop-file-validate not installed: entry not validated"
fi
step "wheel check passed"
