"""photos: the photos where people are together (and others are not), newest first; --by month: a timeline."""

from __future__ import annotations

import argparse

from faceapp.cli.common import add_db_option, open_db, print_json

SHOWN = 10  # people named on a month's line (most photos first); --json has all


def resolve(db, refs: list[str] | None) -> list[int]:  # noqa: ANN001
    """People by id or name, as every people command takes them."""
    from faceapp.cli.people_cmds import _person

    return [_person(db, r) for r in refs or []]


def _when(date: str | None) -> str:
    return date.replace("T", " ")[:16] if date else "no date".ljust(16)


def cmd_photos(args: argparse.Namespace) -> int:
    from faceapp.cli.people_cmds import _act
    from faceapp.jobs import photos

    db = open_db(args)
    with_ids, without = resolve(db, args.with_), resolve(db, args.without)
    if args.by == "month":
        months = _act(photos.timeline, db, with_ids, without)
        if args.json:
            print_json([m.as_dict() for m in months])
            return 0
        counts = [f"{m.photos} photo" + ("s" if m.photos != 1 else "") for m in months]
        width = max(map(len, counts), default=0)
        for m, count in zip(months, counts, strict=True):
            shown = ", ".join(f"{n} {c}" for _, n, c in m.people[:SHOWN])
            more = f", +{len(m.people) - SHOWN} more" if len(m.people) > SHOWN else ""
            print(f"{m.month or 'no date'}  {count:<{width}}  {shown}{more}".rstrip())
        total = sum(m.photos for m in months)
        print(f"{total} photo{'s' if total != 1 else ''} in {len(months)} month{'s' if len(months) != 1 else ''}")
        return 0
    found = _act(photos.photos_together, db, with_ids, without, limit=args.limit)
    if args.json:
        print_json([p.as_dict() for p in found])
        return 0
    for p in found:
        print(f"{_when(p.date)}  {p.path}  " + ", ".join(n for _, n in p.people))
    print(f"{len(found)} photo{'s' if len(found) != 1 else ''}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    sp = sub.add_parser("photos", help="photos where people are together (--with A B --without C), newest first; "
                                       "--by month: a timeline")
    add_db_option(sp)
    sp.add_argument("--with", "--person", dest="with_", nargs="+", metavar="PERSON",
                    help="photos where all of these appear (ids or names); none: every scanned photo")
    sp.add_argument("--without", nargs="+", metavar="PERSON", help="and none of these")
    sp.add_argument("--by", choices=["month"], help="count the photos per year-month, with the people in each")
    sp.add_argument("--limit", type=int, help="the newest N photos only")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_photos)
