"""Writing export files without ever destroying the user's: names that fit, entries created only where
nothing is, never through a link, and files that are recognised as faceapp's own on a later run.

    fit_name(name, limit=255)              cut by UTF-8 bytes, the suffix kept, still valid UTF-8
    numbered(name)                         "x.jpg", "x (2).jpg", ... each fitted
    create(src, dst, mode)                 a copy / hard link / symlink of src at dst; FileExistsError if dst is there
    replace(src, dst, mode)                the same over an entry of faceapp's own (a link is replaced, not followed)
    kind_of(entry, src)                    "symlink" | "hardlink" | "copy" when entry is an export of src, else None
    write_file(path, data)                 a whole new file or none; a link at path is replaced, not written through
    csv_cell(value)                        a cell a spreadsheet will not run as a formula (OWASP)

A copy is written under a hidden temporary name in the destination folder, then published with
os.link, which (like os.symlink) fails rather than replace what is there: a kill leaves either no
entry or a whole one, and at worst a temporary file that `clean_temporaries` removes on the next run.
"""

from __future__ import annotations

import errno
import filecmp
import os
import re
import secrets
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

from faceapp.types import EXPORT_MODES, ExportMode

NAME_MAX = 255  # bytes, on every common file system (ext4, APFS, NTFS counts UTF-16 units: fewer)
_TEMP = re.compile(r"^\..*\.faceapp-[0-9a-f]+\.tmp$")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cut_utf8(s: str, limit: int) -> str:
    """The longest start of s that is at most limit bytes in UTF-8 (never half a character)."""
    return s.encode("utf-8", "surrogatepass")[:limit].decode("utf-8", "ignore")


def fit_name(name: str, limit: int = NAME_MAX) -> str:
    """name cut to limit bytes; a short suffix (".jpg") is kept whole."""
    if len(name.encode("utf-8", "surrogatepass")) <= limit:
        return name
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem or len(suffix.encode()) > 16:
        return cut_utf8(name, limit).rstrip(" .") or "_"
    return (cut_utf8(stem, limit - len(suffix.encode()) - 1).rstrip(" .") or "_") + "." + suffix


def numbered(name: str, directory: bool = False, limit: int = NAME_MAX) -> Iterator[str]:
    """name, then "stem (2).suffix", "stem (3).suffix", ... each cut to fit (directories: no suffix)."""
    stem, suffix = (name, "") if directory or "." not in name.strip(".") else (name[: name.rindex(".")], name[name.rindex("."):])
    k = 1
    while True:
        tail = f" ({k})" if k > 1 else ""
        room = limit - len((tail + suffix).encode("utf-8", "surrogatepass"))
        yield (cut_utf8(stem, room).rstrip(" .") or "_") + tail + suffix
        k += 1


def _temp(folder: Path, name: str) -> Path:
    return folder / f".{cut_utf8(name, 200)}.faceapp-{secrets.token_hex(4)}.tmp"


def clean_temporaries(folder: Path) -> None:
    """Remove what a killed copy left behind (faceapp's own temporary names only, never a link)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for e in entries:
        if _TEMP.match(e.name) and e.is_file(follow_symlinks=False):
            try:
                os.unlink(e.path)
            except OSError:
                pass


def _copy_to_temp(src: str, folder: Path, name: str) -> Path:
    tmp = _temp(folder, name)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with open(src, "rb") as fi, os.fdopen(fd, "wb") as fo:
            shutil.copyfileobj(fi, fo, 1 << 20)
        shutil.copystat(src, tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _make(src: str, dst: Path, mode: ExportMode) -> None:
    """dst made as mode; raises FileExistsError when anything is at dst."""
    if mode == "symlink":
        os.symlink(os.path.abspath(src), dst)
    elif mode == "hardlink":
        os.link(src, dst)
    else:
        raise ValueError(f"unknown mode {mode!r} ({', '.join(EXPORT_MODES)})")


def create(src: str, dst: Path, mode: ExportMode) -> None:
    """A new entry at dst; FileExistsError (and nothing changed) when something is there already."""
    if mode != "copy":
        _make(src, dst, mode)
        return
    tmp = _copy_to_temp(src, dst.parent, dst.name)
    try:
        publish(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)


def publish(tmp: Path, dst: Path) -> None:
    """tmp appears at dst only where nothing is (os.link never replaces). File systems without hard
    links (FAT, some network shares) get a check then a rename: a tiny window, but never through a link."""
    try:
        os.link(tmp, dst)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS, errno.EXDEV):
            raise
        if os.path.lexists(dst):
            raise FileExistsError(errno.EEXIST, "File exists", str(dst)) from None
        os.rename(tmp, dst)


def replace(src: str, dst: Path, mode: ExportMode) -> None:
    """dst (an entry of faceapp's own) becomes a fresh copy / link of src in one rename."""
    if mode == "copy":
        tmp = _copy_to_temp(src, dst.parent, dst.name)
    else:
        tmp = _temp(dst.parent, dst.name)
        _make(src, tmp, mode)
    try:
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def kind_of(entry: Path, src: str, listed: bool = False) -> str | None:
    """How entry exports src ("symlink", "hardlink", "copy"), or None when it is something else:
    a link to another file, a file with other bytes, a folder. listed: faceapp's manifest names entry
    as src's, so a copy with src's size and modification time is taken as it is; otherwise the bytes
    are compared (burst photos of one size and one second are different photos)."""
    try:
        st = entry.lstat()
        if stat.S_ISLNK(st.st_mode):
            return "symlink" if os.readlink(entry) == os.path.abspath(src) else None
        if not stat.S_ISREG(st.st_mode):
            return None
        sst = os.stat(src)
        if (st.st_dev, st.st_ino) == (sst.st_dev, sst.st_ino):
            return "hardlink"
        if st.st_size != sst.st_size:
            return None
        same = (listed and st.st_mtime_ns == sst.st_mtime_ns) or filecmp.cmp(src, entry, shallow=False)
        return "copy" if same else None
    except OSError:
        return None


def write_file(path: Path, data: bytes) -> None:
    """path holds data whole, or is untouched. A link at path is replaced by the file, never followed."""
    tmp = _temp(path.parent, path.name)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_head(path: Path, n: int = 4096) -> bytes | None:
    """The first n bytes of a regular file (links followed: reading is harmless), None for anything else."""
    try:
        if not path.is_file():
            return None
        with open(path, "rb") as fh:
            return fh.read(n)
    except OSError:
        return None


def csv_cell(value: object) -> object:
    """A text cell that starts with = + - @ tab or CR gets a leading ' (OWASP, CSV injection): a
    spreadsheet then shows it as text instead of running it. Numbers are left as numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value
