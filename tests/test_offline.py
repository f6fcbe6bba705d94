"""Nothing leaves the machine: the main job runs with every network door shut, and no code asks a hub for weights.

These checks are inside Python and run everywhere; tests/test_offline_native.py watches the system calls of
whole processes (native libraries included, e.g. onnxruntime's telemetry) where strace is installed.
"""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest

from faceapp import paths
from faceapp.cli import main

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to resolve a name or open a connection fails the test."""
    tried: list[str] = []

    def refuse(*args, **kwargs):
        tried.append(repr(args[:2]))
        raise AssertionError(f"network use at run time: {args[:2]}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return tried


def test_scan_cluster_verify_export_run_offline(no_network, tmp_path, capsys):
    db = str(tmp_path / "lib.db")
    assert main(["scan", str(paths.SAMPLE_ALBUM), "--db", db]) == 0
    assert main(["cluster", "--db", db]) == 0
    capsys.readouterr()
    assert main(["people", "--db", db, "--json"]) == 0
    people = json.loads(capsys.readouterr().out)
    assert people, "the sample album should give people"
    photos = sorted(p for p in paths.SAMPLE_ALBUM.rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
    assert main(["verify", "--db", db, str(photos[0]), str(photos[1]), "--json"]) == 0
    assert main(["export", "json", "--db", db, "--out", str(tmp_path / "faces.json")]) == 0
    assert no_network == []


def test_no_code_downloads_from_a_hub():
    """Weights and data come from resources/ or the user's folders, never from a URL."""
    banned = re.compile(r"\b(urllib\.request|urlopen|requests\.(get|post)|torch\.hub|load_state_dict_from_url|"
                        r"hf_hub_download|huggingface_hub|snapshot_download|http\.client)\b")
    hits = [f"{p.relative_to(REPO)}:{i}" for pkg in ("faceapp", "trainer", "tools")
            for p in sorted((REPO / pkg).rglob("*.py"))
            for i, line in enumerate(p.read_text().splitlines(), 1) if banned.search(line)]
    assert hits == []
