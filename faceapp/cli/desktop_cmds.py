"""install-desktop: put faceapp in the user's application menu (a freedesktop .desktop entry and its icon).

Written for the user only, under $XDG_DATA_HOME (default ~/.local/share): applications/faceapp.desktop
and icons/hicolor/scalable/apps/faceapp.svg. The entry starts the launcher of this installation
(the venv's or pipx's `faceapp`), so it keeps working whatever PATH the desktop session has.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from faceapp import paths

APP_ID = "faceapp"
_RESERVED = set(' \t\n"\'\\><~|&;$*?#()`')  # characters that make an Exec argument need quotes


def data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def entry_path(home: Path) -> Path:
    return home / "applications" / f"{APP_ID}.desktop"


def icon_path(home: Path) -> Path:
    return home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"


def launcher() -> list[str]:
    """The command that starts this installation: its `faceapp` script, else `python -m faceapp`."""
    script = Path(sys.executable).parent / "faceapp"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    found = shutil.which("faceapp")
    if found:
        return [str(Path(found).resolve())]
    return [sys.executable, "-m", "faceapp"]


def exec_arg(arg: str) -> str:
    """One Exec argument quoted as the Desktop Entry spec asks, then escaped as a string value."""
    if arg and not (_RESERVED & set(arg)):
        quoted = arg
    else:
        quoted = '"' + "".join("\\" + c if c in '"`$\\' else c for c in arg) + '"'
    return quoted.replace("\\", "\\\\").replace("%", "%%")


def desktop_entry(command: list[str]) -> str:
    cmd = " ".join(exec_arg(a) for a in [*command, "gui"])
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        "Name=faceapp",
        "GenericName=Photo organiser by people",
        "Comment=Find the faces in your photo folders and sort them into people, offline",
        f"Exec={cmd}",
        f"TryExec={command[0]}".replace("\\", "\\\\"),
        f"Icon={APP_ID}",
        "Terminal=false",
        "Categories=Graphics;Photography;",
        "Keywords=faces;people;photos;albums;",
        f"StartupWMClass={APP_ID}",
        "",
    ])


def install(home: Path, command: list[str]) -> list[Path]:
    entry, icon = entry_path(home), icon_path(home)
    icon.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(paths.APP_ICON, icon)
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_text(desktop_entry(command), encoding="utf-8")
    _refresh(home)
    return [entry, icon]


def uninstall(home: Path) -> list[Path]:
    gone = [p for p in (entry_path(home), icon_path(home)) if p.exists()]
    for p in gone:
        p.unlink()
    _refresh(home)
    return gone


def _refresh(home: Path) -> None:
    """Menus notice a new entry by themselves; these caches only make it quicker (absent: fine)."""
    for cmd in (["update-desktop-database", "-q", str(home / "applications")],
                ["gtk-update-icon-cache", "-q", "-t", str(home / "icons" / "hicolor")]):
        if shutil.which(cmd[0]) and Path(cmd[-1]).is_dir():
            subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def cmd_install_desktop(args: argparse.Namespace) -> int:
    if sys.platform in ("win32", "darwin"):
        from faceapp.cli import CLIError

        raise CLIError("install-desktop writes a freedesktop menu entry (Linux and BSD desktops); "
                       "on this system start the app with `faceapp`")
    home = data_home()
    if args.uninstall:
        for p in uninstall(home):
            print(f"removed {p}")
        return 0
    for p in install(home, launcher()):
        print(f"wrote {p}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("install-desktop", help="add faceapp to your application menu (Linux: a .desktop entry "
                                               "and icon under $XDG_DATA_HOME)")
    p.add_argument("--uninstall", action="store_true", help="remove the entry and icon again")
    p.set_defaults(func=cmd_install_desktop)
