"""`faceapp` command line: thin over faceapp.core, faceapp.storage and faceapp.jobs.

Each command group lives in its own module and registers its subcommands; `faceapp` with no
arguments opens the GUI.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

# Modules that add subcommands (each has `register(subparsers)`); optional ones may be absent.
COMMAND_MODULES = [
    "faceapp.cli.library_cmds",
    "faceapp.cli.people_cmds",
    "faceapp.cli.eval_cmds",
    "faceapp.cli.train_cmds",
    "faceapp.cli.bench_cmds",
    "faceapp.cli.gui_cmds",
]


class CLIError(Exception):
    """A user-facing error: printed without a traceback, exit status 2."""


def import_optional(names: list[str]) -> list:
    """The modules of `names` that exist (a missing optional module is skipped, other errors raise)."""
    mods = []
    for name in names:
        try:
            mods.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return mods


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="faceapp", description="Organise a photo library by the people in it, offline.")
    parser.add_argument("--verbose", "-v", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in import_optional(COMMAND_MODULES):
        mod.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    if not argv:
        argv = ["gui"] if "gui" in parser._subparsers._group_actions[0].choices else ["--help"]  # type: ignore[union-attr]
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    from faceapp.storage.db import NotALibrary

    try:
        return int(args.func(args) or 0)
    except (CLIError, NotALibrary) as exc:
        print(f"faceapp: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("faceapp: interrupted", file=sys.stderr)
        return 130
