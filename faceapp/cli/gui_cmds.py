"""gui: open the desktop app, or save a screenshot of each view (--screenshots DIR)."""

from __future__ import annotations

import argparse

from faceapp.cli import CLIError
from faceapp.cli.common import add_db_option


def cmd_gui(args: argparse.Namespace) -> int:
    try:
        import PySide6  # noqa: F401
    except ImportError as exc:
        raise CLIError("the desktop app needs PySide6: pip install 'faceapp[gui]'") from exc
    if args.screenshots:
        from faceapp.gui.screenshots import save_screenshots

        for p in save_screenshots(args.screenshots, args.db):
            print(p)
        return 0
    from faceapp.gui.app import run

    return run(args.db)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gui", help="open the desktop app (the default when no command is given)")
    add_db_option(p)
    p.add_argument("--screenshots", metavar="DIR", default=None,
                   help="save a PNG of each main view into DIR and exit (without --db: the sample album, "
                        "scanned into a temporary library)")
    p.set_defaults(func=cmd_gui)
