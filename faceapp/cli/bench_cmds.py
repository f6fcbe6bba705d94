"""`faceapp bench NAME`: benchmarks that print figures (ratios against a baseline run alongside).

Benchmark groups live in their own modules, each with `register_bench(subparsers)`.
"""

from __future__ import annotations

import argparse

BENCH_MODULES = [
    "faceapp.bench.scan_bench",
    "faceapp.bench.people_bench",
    "faceapp.bench.losses_bench",
    "faceapp.bench.review_bench",
    "faceapp.bench.family_bench",
    "faceapp.bench.assign_bench",
]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="benchmarks that print figures")
    bsub = p.add_subparsers(dest="bench", metavar="BENCH")
    from faceapp.cli import import_optional

    for mod in import_optional(BENCH_MODULES):
        mod.register_bench(bsub)
