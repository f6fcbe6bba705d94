"""Export over faceapp.jobs.export: albums, CSV/JSON tables, XMP face regions."""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database

from faceapp.jobs import export as E
from faceapp.progress import ProgressFn, StopFn
from faceapp.storage.people import count_unnamed
from faceapp.types import ExportMode


def export(db: Database, out_dir: str | None, what: str, person_ids: list[int] | None = None, mode: ExportMode = "copy",
           progress: ProgressFn | None = None, stop: StopFn | None = None, include_unnamed: bool = False) -> dict:
    """what: albums (mode copy | hardlink | symlink) | csv | json | xmp (out_dir None: beside the photos).
    Runs in a worker: copying a big album takes a while. The same safe writers as `faceapp export`:
    nothing faceapp did not write is replaced or written through a link; a faces.csv of the user's
    in the folder stays, and the table goes to "faces (2).csv" (the result's "into" says where)."""
    if what == "albums":
        r = E.export_albums(db, out_dir, mode=mode, person_ids=person_ids, progress=progress, stop=stop)
    elif what in ("csv", "json"):
        target = Path(out_dir or ".")
        if target.suffix.lower() != f".{what}":  # a folder: faces.csv in it; ".../faces.csv" is the file itself
            target = target / f"faces.{what}"
        r = E.export_table(db, str(target), fmt=what, person_ids=person_ids, rename=True, progress=progress)
    elif what == "xmp":
        r = E.export_xmp(db, person_ids=person_ids, out_dir=out_dir, include_unnamed=include_unnamed,
                         progress=progress, stop=stop)
    else:
        raise ValueError(f"unknown export {what!r}")
    out = {"written": r.written, "skipped": r.skipped, "people": r.people, "into": r.out, "errors": len(r.errors)}
    if r.cancelled:
        out["cancelled"] = True
    if what == "xmp":  # other tools' sidecars faceapp merged into, and sidecars that already held exactly this
        unnamed = count_unnamed(db, person_ids) if person_ids and not include_unnamed else 0
        out |= {"merged": r.merged, "unchanged": r.unchanged, "unnamed_left_out": unnamed}
    return out


def summary(result: dict) -> str:
    """One line for people, as `faceapp export` prints it (a stopped export says so first)."""
    if result.get("cancelled"):
        return "Stopped; export again to go on. " + summary({k: v for k, v in result.items() if k != "cancelled"})
    if "merged" in result:
        return (f"XMP: {result['written']} written, {result['merged']} merged into other tools' sidecars "
                f"({result['unchanged']} already up to date), {result['skipped']} left untouched, "
                f"{result['errors']} errors · {result['people']} people · into {result['into']}"
                + (f" · {result['unnamed_left_out']} unnamed people got no regions: name them, or tick \u201cunnamed people too\u201d"
                   if result.get("unnamed_left_out") else ""))
    return "Exported: " + " · ".join(f"{k} {v}" for k, v in result.items())
