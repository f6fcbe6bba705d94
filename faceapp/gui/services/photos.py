"""Photos by people for the GUI: pages of the photos where some people are together (and others are
not), newest first, and how many there are in each month. A thin adapter over faceapp.jobs.photos
(the same functions as `faceapp photos --with/--without`), run by the views' background loaders."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass

from sqlite_utils import Database

from faceapp.jobs import photos as P
from faceapp.jobs.photos import Photo

__all__ = ["Photo", "PhotosPage", "month_title", "photos_page"]


@dataclass
class PhotosPage:
    photos: list[Photo]
    months: dict[str | None, int] | None  # "YYYY-MM" (None: undated) -> photos; only with the first page
    offset: int
    done: bool  # no photos after this page


def photos_page(db: Database, with_ids: Sequence[int], without: Sequence[int] = (), offset: int = 0,
                limit: int = 300) -> PhotosPage:
    """One page of the photos (newest first); the first page also counts the photos by month."""
    photos = P.photos_together(db, with_ids, without, limit=limit + 1, offset=offset)
    months = None
    if offset == 0:
        months = {m.month: m.photos for m in P.timeline(db, with_ids, without)}
    return PhotosPage(photos[:limit], months, offset, len(photos) <= limit)


def month_title(month: str | None) -> tuple[str, str]:
    """("2021", "June") for "2021-06"; ("", "No date") for None."""
    if not month:
        return "", "No date"
    year, _, m = month.partition("-")
    try:
        return year, calendar.month_name[int(m)]
    except (ValueError, IndexError):
        return year, m
