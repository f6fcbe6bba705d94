"""Nothing leaves the machine, at the system-call level: a long scan, a `train --db` and a GUI session run
under `strace -f -e trace=network` and may not make a single AF_INET/AF_INET6 (or name-lookup) call.

tests/test_offline.py refuses the network inside Python; this file also sees native libraries (onnxruntime
1.29+ carries Microsoft's 1DS telemetry: a device id under ~/.cache/Microsoft and uploads to
mobile.events.data.microsoft.com, on by default in the official Linux wheels). faceapp turns it off with
ORT_DISABLE_TELEMETRY=1 (faceapp/__init__.py), the documented full opt-out. onnxruntime also stays quiet
when it believes it runs in CI (`CI`, `GITHUB_ACTIONS`, ...), so every child here runs with those removed:
the check is of a user's machine, not of a CI runner. Where user and network namespaces are available the
children also run in one with no network at all, so a failing run still sends nothing.
"""

from __future__ import annotations

import functools
import getpass
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
STRACE = shutil.which("strace")
SCAN_SECONDS = 80  # the scan is stopped (SIGINT, as Ctrl+C) after this long: > 60 s of onnxruntime work
# onnxruntime's telemetry is silent in CI and under its own unit tests; a user's machine has none of these
QUIET_VARS = ("CI", "TF_BUILD", "GITHUB_ACTIONS", "GITLAB_CI", "CIRCLECI", "TRAVIS", "JENKINS_URL",
              "CODEBUILD_BUILD_ID", "BUILDKITE", "TEAMCITY_VERSION", "APPVEYOR", "BITBUCKET_BUILD_NUMBER",
              "ORT_RUNNING_UNIT_TESTS", "ORT_DISABLE_TELEMETRY")
# an IPv4/IPv6 socket or address, or a name lookup handed to systemd-resolved or to a running nscd (which
# would do the DNS in its own process); with nscd absent (connect fails) glibc asks DNS itself, over AF_INET
NETWORK = re.compile(r"\b[AP]F_INET6?\b|systemd/resolve|nscd/socket.*= 0$")


def user_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a user's shell: no CI markers, no telemetry switch of their own, a fresh home."""
    env = {k: v for k, v in os.environ.items() if k not in QUIET_VARS}
    user = getpass.getuser()  # a login shell has these; without them getpass asks nscd for the passwd entry
    env.setdefault("USER", user)
    env.setdefault("LOGNAME", user)
    home = tmp_path / "home"
    (home / ".cache").mkdir(parents=True, exist_ok=True)
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), QT_QPA_PLATFORM="offscreen",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    return env


@functools.lru_cache(maxsize=1)
def _no_network_namespace() -> tuple[str, ...]:
    """`unshare` into new user + network namespaces (no interfaces) where the kernel allows it, else nothing."""
    unshare = shutil.which("unshare")
    if unshare:
        argv = (unshare, "--user", "--map-root-user", "--net")
        if subprocess.run([*argv, "true"], capture_output=True).returncode == 0:
            return argv
    return ()


@functools.lru_cache(maxsize=1)
def _strace_problem() -> str | None:
    if not STRACE:
        return "strace is not installed (scripts/setup.sh installs it as root on Debian/Ubuntu)"
    r = subprocess.run([*_no_network_namespace(), STRACE, "-f", "-qq", "-e", "trace=network", "-o", os.devnull,
                        "true"], capture_output=True, text=True)
    return None if r.returncode == 0 else f"strace cannot trace here (ptrace not permitted?): {r.stderr.strip()}"


@pytest.fixture
def traced(tmp_path):
    """run(argv, timeout) -> (CompletedProcess, network lines): argv and every thread/child under strace."""
    if why := _strace_problem():
        pytest.skip(why)

    def run(argv: list[str], timeout: float, env: dict[str, str] | None = None):
        log = tmp_path / f"strace-{time.monotonic_ns()}.log"
        cmd = [*_no_network_namespace(), STRACE, "-f", "-qq", "-e", "trace=network", "-o", str(log), *argv]
        proc = subprocess.run(cmd, env=env or user_env(tmp_path), capture_output=True, text=True, timeout=timeout)
        hits = [line for line in log.read_text(errors="replace").splitlines() if NETWORK.search(line)]
        return proc, hits

    return run


def faceapp(*args: str) -> list[str]:
    return [sys.executable, "-m", "faceapp", *args]


def telemetry_files(tmp_path: Path) -> list[str]:
    """What onnxruntime's telemetry leaves behind: a device id and an event store under the user's cache."""
    return [str(p.relative_to(tmp_path)) for p in (tmp_path / "home").rglob("*") if "Microsoft" in p.parts]


def test_harness_sees_an_inet_socket(traced, tmp_path):
    """Self-check: the same harness flags a tiny script's IPv4 and IPv6 sockets (sent to loopback only)."""
    script = ("import socket\n"
              "for fam, host in ((socket.AF_INET, '127.0.0.1'), (socket.AF_INET6, '::1')):\n"
              "    s = socket.socket(fam, socket.SOCK_DGRAM)\n"
              "    try:\n        s.sendto(b'x', (host, 9))\n    except OSError:\n        pass\n")
    proc, hits = traced([sys.executable, "-c", script], timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert any("AF_INET," in h for h in hits) and any("AF_INET6" in h for h in hits), hits


def test_importing_faceapp_switches_onnxruntime_telemetry_off(tmp_path):
    """Before onnxruntime loads: no device id, no event store, no uploader; a user's `=0` does not turn it on."""
    env = user_env(tmp_path) | {"ORT_DISABLE_TELEMETRY": "0"}
    code = "import faceapp, os, onnxruntime; print(os.environ['ORT_DISABLE_TELEMETRY'])"
    proc = subprocess.run([*_no_network_namespace(), sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "1"
    assert telemetry_files(tmp_path) == []


@pytest.mark.slow
def test_long_scan_makes_no_network_call(traced, tmp_path, celeba_dev):
    """A scan of the 4,208 celeba_dev photos (or its first SCAN_SECONDS, then Ctrl+C): ~70-90 s."""
    from faceapp.storage.db import open_library
    from faceapp.storage.faces import face_count

    db = tmp_path / "lib.db"
    start = time.monotonic()
    proc, hits = traced(["timeout", "-s", "INT", "-k", "30", str(SCAN_SECONDS),
                         *faceapp("scan", str(celeba_dev), "--db", str(db))], timeout=SCAN_SECONDS + 120)
    took = time.monotonic() - start
    assert proc.returncode in (0, 124), proc.stderr[-2000:]  # 124: stopped at SCAN_SECONDS
    assert hits == [], "\n".join(hits[:20])
    assert telemetry_files(tmp_path) == []
    lib = open_library(db)
    try:
        faces = face_count(lib)
    finally:
        lib.conn.close()
    assert faces > 100, f"the scan found only {faces} faces in {took:.0f} s: too little onnxruntime work to judge"


@pytest.mark.slow
def test_train_db_makes_no_network_call(traced, tmp_path, scanned_sample):
    """`faceapp train --db`: fine-tune (torch), export and check (onnxruntime), re-embed every face."""
    pytest.importorskip("torch", reason="training needs torch")
    from faceapp.storage import people
    from faceapp.storage.db import open_library
    from faceapp.storage.faces import face_rows

    lib_path = tmp_path / "lib.db"
    shutil.copy(scanned_sample, lib_path)
    lib = open_library(lib_path)
    biggest: dict[str, int] = {}  # photo -> its largest face, named after the file (George_Clooney_0003.jpg)
    for f in sorted(face_rows(lib), key=lambda f: f["w"] * f["h"], reverse=True):
        biggest.setdefault(f["path"], f["id"])
    by_name: dict[str, list[int]] = {}
    for path, fid in biggest.items():
        by_name.setdefault(Path(path).stem.rsplit("_", 1)[0], []).append(fid)
    named = {n: fids for n, fids in by_name.items() if len(fids) >= 4}
    assert len(named) >= 3
    for name, fids in named.items():
        pid = people.create_person(lib, name)
        for fid in fids:
            people.assign(lib, fid, pid, "confirmed")
    lib.conn.close()
    proc, hits = traced(faceapp("train", "--db", str(lib_path), "--loss", "cosface", "--epochs", "1", "--device",
                                "cpu", "--trainable-units", "1", "--out", str(tmp_path / "run")), timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    if "library now uses" not in proc.stdout:  # nothing gained (said plainly): the library keeps its model,
        assert "your model is unchanged" in proc.stdout  # so switch to the trained file to re-embed every face
        used, more = traced(faceapp("models", "import", str(tmp_path / "run" / "model.onnx"), "--use", "--db",
                                    str(lib_path), "--device", "cpu"), timeout=600)
        assert used.returncode == 0, used.stdout[-2000:] + used.stderr[-2000:]
        hits = hits + more
    assert hits == [], "\n".join(hits[:20])
    assert telemetry_files(tmp_path) == []


@pytest.mark.slow
def test_gui_session_makes_no_network_call(traced, tmp_path):
    """The desktop app (offscreen): scan the sample album into a library, group it, show every view."""
    pytest.importorskip("PySide6", reason="the GUI needs PySide6")
    shots = tmp_path / "shots"
    proc, hits = traced(faceapp("gui", "--screenshots", str(shots)), timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert list(shots.glob("*.png")), proc.stdout
    assert hits == [], "\n".join(hits[:20])
    assert telemetry_files(tmp_path) == []
