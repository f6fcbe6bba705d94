"""`faceapp` command line: thin over faceapp.core, faceapp.storage and faceapp.jobs.

Each command group lives in its own module and registers its subcommands; `faceapp` with no
arguments opens the GUI.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sqlite3
import sys

from faceapp import __version__
from faceapp.errors import FaceappError

# Modules that add subcommands (each has `register(subparsers)`); optional ones may be absent.
COMMAND_MODULES = [
    "faceapp.cli.library_cmds",
    "faceapp.cli.maintenance_cmds",
    "faceapp.cli.people_cmds",
    "faceapp.cli.photos_cmds",
    "faceapp.cli.eval_cmds",
    "faceapp.cli.train_cmds",
    "faceapp.cli.models_cmds",
    "faceapp.cli.bench_cmds",
    "faceapp.cli.gui_cmds",
    "faceapp.cli.desktop_cmds",
    "faceapp.cli.face_cmds",
]


class CLIError(FaceappError):
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
    parser.add_argument("--version", action="version", version=f"faceapp {__version__}")
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
    except (FaceappError, NotALibrary) as exc:  # a refusal, in one line; anything else is a bug: its trace
        print(f"faceapp: {refusal(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("faceapp: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `faceapp people | head`: the reader left; not an error of ours
        _silence_stdout()
        return 0
    except (sqlite3.OperationalError, OSError) as exc:
        reason = _environment_error(exc)
        if reason is None:
            raise
        print(f"faceapp: {reason}", file=sys.stderr)
        return 1


def refusal(exc: BaseException) -> str:
    """A refusal's message as one line (the lines of a message spread over several are joined)."""
    text = str(exc)
    return " ".join(line.strip() for line in text.splitlines() if line.strip()) if "\n" in text or "\r" in text else text


def _silence_stdout() -> None:
    """Python would report the broken pipe again when it flushes stdout at exit."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _environment_error(exc: BaseException) -> str | None:
    """A failure of the machine, not of faceapp (a full disk, a read-only library), in words; None for
    anything else, which is a bug and keeps its traceback."""
    import errno

    text = str(exc)
    if isinstance(exc, sqlite3.OperationalError):
        if "disk is full" in text:
            return "the disk is full: nothing more was written to the library (free some space and run again)"
        if "readonly" in text or "read-only" in text:
            return "the library is read-only here (a read-only folder or mount): this command writes to it"
        if "locked" in text or "busy" in text:
            return f"the library is busy ({text}): another faceapp process kept writing; nothing was changed, try again"
        if "disk I/O" in text:
            return f"the library could not be read or written ({text}); run `faceapp library check`"
        return None
    if getattr(exc, "errno", None) == errno.ENOSPC:
        return f"the disk is full: {exc.filename or ''} was not written (free some space and run again)"
    if getattr(exc, "errno", None) in (errno.EROFS, errno.EACCES):
        return f"can't write {exc.filename or ''}: {exc.strerror}"
    return None
