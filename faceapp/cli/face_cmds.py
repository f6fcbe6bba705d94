"""add-face, delete-face: faces the detector missed, drawn by the user; birth-date (undo either with `faceapp undo`)."""

from __future__ import annotations

import argparse

from faceapp.cli import CLIError
from faceapp.cli.common import add_db_option, open_db, print_json


def _person_or_new(db, ref: str) -> tuple[int | None, str | None]:  # noqa: ANN001
    """(person id, None) for a person by id or exact name; (None, name) for a name no one has yet."""
    from faceapp.storage.people import list_persons

    people = list_persons(db, include_hidden=True)
    if ref.isdigit() and any(p.id == int(ref) for p in people):
        return int(ref), None
    hits = [p.id for p in people if p.name and p.name.casefold() == ref.casefold()]
    if len(hits) > 1:
        raise CLIError(f"{len(hits)} people are named {ref!r}; use an id")
    if hits:
        return hits[0], None
    if ref.isdigit():
        raise CLIError(f"no person {ref}")
    from faceapp.storage.people import clean_name

    name = clean_name(ref)
    if not name:
        raise CLIError("a person needs a name or an id")
    return None, name


def cmd_add_face(args: argparse.Namespace) -> int:
    from faceapp.jobs.add_face import AddFaceError, add_face, find_photo

    db = open_db(args)
    try:
        photo = find_photo(db, args.photo)
        pid, new_name = _person_or_new(db, args.person)
        res = add_face(db, photo["id"], (args.x, args.y, args.w, args.h), pid, new_name=new_name)
    except AddFaceError as exc:
        raise CLIError(str(exc)) from None
    out = {"face": res.face_id, "person": res.person_id, "photo": photo["path"], "box": [round(v, 1) for v in res.box],
           "landmarks": "detector" if res.found else "estimated from the box", "new_person": new_name is not None}
    if args.json:
        print_json(out)
    else:
        who = args.person if new_name is None else f"{new_name} (new)"
        print(f"face {res.face_id} added to {photo['path']} as {who}; landmarks {out['landmarks']}"
              + (f" (score {res.score:.2f})" if res.found else ""))
    return 0


def cmd_delete_face(args: argparse.Namespace) -> int:
    from faceapp.jobs.add_face import AddFaceError, delete_faces

    db = open_db(args)
    try:
        n = delete_faces(db, args.faces)
    except AddFaceError as exc:
        raise CLIError(str(exc)) from None
    print(f"deleted {n} face{'s' if n != 1 else ''} (`faceapp undo` brings {'them' if n != 1 else 'it'} back)")
    return 0


def cmd_birth_date(args: argparse.Namespace) -> int:
    from faceapp.cli.people_cmds import _person
    from faceapp.jobs.birth_date import BirthDateError, birth_date, set_birth_date

    db = open_db(args)
    pid = _person(db, args.person)
    try:
        if args.clear:
            set_birth_date(db, pid, None)
        elif args.date:
            set_birth_date(db, pid, args.date)
    except BirthDateError as exc:
        raise CLIError(str(exc)) from None
    print(birth_date(db, pid) or "no birth date")
    return 0


def _number(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if v != v or v in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number")
    return v


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("add-face", help="add a face the detector missed: a box on a photo, confirmed as a person")
    p.add_argument("photo", help="the photo's path (a photo of the library)")
    for k, words in (("x", "left"), ("y", "top"), ("w", "width"), ("h", "height")):
        p.add_argument(k, type=_number, help=f"box {words}, pixels of the upright photo")
    p.add_argument("--person", required=True, help="a person's id or name (a new name makes a new person)")
    p.add_argument("--json", action="store_true")
    add_db_option(p)
    p.set_defaults(func=cmd_add_face)

    p = sub.add_parser("birth-date", help="a person's birth date (shows their age on each photo); none given: print it")
    p.add_argument("person", help="a person's id or name")
    p.add_argument("date", nargs="?", help="YYYY-MM-DD")
    p.add_argument("--clear", action="store_true", help="forget the birth date")
    add_db_option(p)
    p.set_defaults(func=cmd_birth_date)

    p = sub.add_parser("delete-face", help="delete faces (drawn by mistake); `faceapp undo` brings them back")
    p.add_argument("faces", nargs="+", type=int)
    add_db_option(p)
    p.set_defaults(func=cmd_delete_face)
