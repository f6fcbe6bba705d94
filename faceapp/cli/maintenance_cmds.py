"""faceapp library check | backup | backups | restore: keeping the library file sound."""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path

from faceapp import paths
from faceapp.cli import CLIError
from faceapp.cli.common import add_db_option, print_json


def _library(args: argparse.Namespace) -> Path:
    return Path(args.db or paths.default_db())


def cmd_check(args: argparse.Namespace) -> int:
    from faceapp.storage.db import check_library_file, file_uri
    from faceapp.storage.integrity import check_connection

    lib = _library(args)
    if not lib.exists():
        raise CLIError(f"no library at {lib}")
    try:
        check_library_file(lib)
        conn = sqlite3.connect(file_uri(lib, mode="ro"), uri=True, timeout=30)
        try:
            problems = check_connection(conn, quick=args.quick)
        finally:
            conn.close()
    except (sqlite3.DatabaseError, ValueError) as exc:
        problems = [str(exc)]
    if args.json:
        print_json({"library": str(lib), "ok": not problems, "problems": problems})
    elif problems:
        print(f"{lib}: {len(problems)} problem(s)")
        for p in problems:
            print(f"  {p}")
        _advise(lib)
    else:
        print(f"{lib}: ok")
    return 1 if problems else 0


def _advise(lib: Path) -> None:
    from faceapp.storage.backup import newest_good_backup

    good = newest_good_backup(lib)
    if good:
        print(f"newest good backup: {good}\n  restore it with: faceapp library restore '{good}' --db '{lib}'")
    else:
        print("no good backup found beside it")


def cmd_backup(args: argparse.Namespace) -> int:
    from faceapp.cli.common import open_db
    from faceapp.storage.backup import backup_library

    db = open_db(args)
    target = backup_library(db, _library(args), reason="manual")
    print(target)
    return 0


def cmd_backups(args: argparse.Namespace) -> int:
    from faceapp.storage.backup import backup_dir, backups_of

    found = backups_of(_library(args))
    if args.json:
        print_json([str(p) for p in found])
        return 0
    if not found:
        print(f"no backups in {backup_dir(_library(args))}")
    for p in found:
        print(p)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from faceapp.storage.backup import restore_library

    lib = _library(args)
    src = Path(args.backup)
    if not src.is_file():
        raise CLIError(f"no such backup: {src}")
    moved = restore_library(lib, src)
    if moved:
        print(f"the damaged library was kept as {moved}")
    print(f"restored {lib} from {src}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("library", help="check, back up and restore the library file")
    lsub = p.add_subparsers(dest="library_command", metavar="ACTION", required=True)
    c = lsub.add_parser("check", help="integrity, foreign keys and faceapp's own rules; exit 1 on a problem")
    c.add_argument("--quick", action="store_true", help="SQLite's quick check only")
    c.add_argument("--json", action="store_true")
    add_db_option(c)
    c.set_defaults(func=cmd_check)
    b = lsub.add_parser("backup", help="a consistent copy into the backups folder beside the library")
    add_db_option(b)
    b.set_defaults(func=cmd_backup)
    ls = lsub.add_parser("backups", help="list the library's backups, newest first")
    ls.add_argument("--json", action="store_true")
    add_db_option(ls)
    ls.set_defaults(func=cmd_backups)
    r = lsub.add_parser("restore", help="replace the library's content by a backup's (the current one is backed up)")
    r.add_argument("backup", help="a backup file (see faceapp library backups)")
    add_db_option(r)
    r.set_defaults(func=cmd_restore)
