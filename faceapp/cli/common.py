"""Options and helpers shared by command modules."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from faceapp import paths


def add_db_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=Path, default=None, help="library database (default: library.db in the user data dir; see README)")


def open_db(args: argparse.Namespace):
    from faceapp.cli import CLIError
    from faceapp.storage.db import NotALibrary, open_library

    try:
        return open_library(args.db or paths.default_db())
    except NotALibrary as exc:
        raise CLIError(str(exc)) from None


def print_json(obj: object) -> None:
    json.dump(obj, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def print_mapping(obj: dict, as_json: bool, width: int = 20) -> None:
    """A flat result as JSON (for scripts) or one aligned `key: value` line each."""
    if as_json:
        print_json(obj)
        return
    for k, v in obj.items():
        print(f"{k:>{width}}: {v}")
