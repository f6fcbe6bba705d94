"""`faceapp bench people-scale`: clustering and incremental-assignment speed on synthetic libraries.

Figures printed: seconds and peak memory (resident set, MB) to cluster N faces with the app's
default method and thresholds, the BCubed F against the synthetic truth, and seconds to build
prototypes for M known faces and place K new faces among them. Synthetic embeddings come from
faceapp.bench.cluster_synth.library (uneven people, two looks, noise faces, a shared mean face).
Each stage runs in a fresh process so memory figures don't mix.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import time


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cluster_stage(n: int, far: str, seed: int, q: mp.Queue) -> None:
    import numpy as np

    from faceapp.bench.cluster_synth import library
    from faceapp.core.cluster import (
        ClusterParams,
        cluster,
        refine_threshold_from_calibration,
        threshold_from_calibration,
    )
    from faceapp.core.metrics import bcubed
    from faceapp.jobs.models import shipped_calibration

    cal = shipped_calibration("sface-2021dec")
    th = cal["thresholds"]
    t = threshold_from_calibration(th, far)
    x, y = library(n, seed=seed)
    base = _rss_mb()
    phases: dict[str, dict] = {}
    last = ["start", time.perf_counter(), time.process_time()]

    def step(stage: str) -> None:  # per-phase wall and CPU seconds, and the peak RSS at the phase's end
        now, cpu = time.perf_counter(), time.process_time()
        phases[last[0]] = {"seconds": round(now - last[1], 2), "cpu_seconds": round(cpu - last[2], 2),
                           "peak_rss_mb": round(_rss_mb(), 1)}
        last[:] = [stage, now, cpu]

    t0, c0 = time.perf_counter(), time.process_time()
    res = cluster(x, ClusterParams(threshold=t, refine=refine_threshold_from_calibration(th, far),
                                   far_curve=cal.get("far_curve")), step=step)
    step("end")
    secs, cpu_secs = time.perf_counter() - t0, time.process_time() - c0
    phases.pop("start", None)
    truth = np.where(y >= 0, y, -1 - np.arange(len(y)))  # each stranger their own person
    p, r, f = bcubed(truth, res.labels)
    q.put({"stage": "cluster", "faces": n, "threshold": round(t, 4), "seconds": round(secs, 2),
           "cpu_seconds": round(cpu_secs, 2), "peak_rss_mb": round(_rss_mb(), 1), "rss_before_mb": round(base, 1),
           "clusters": int(res.labels.max() + 1), "unsorted": int((res.labels < 0).sum()),
           "bcubed_p": round(p, 4), "bcubed_r": round(r, 4), "bcubed_f": round(f, 4), "phases": phases})


def _assign_stage(known: int, new: int, far: str, seed: int, q: mp.Queue) -> None:
    import numpy as np

    from faceapp.bench.cluster_synth import library
    from faceapp.core.cluster import threshold_from_calibration
    from faceapp.core.knn import top2_by_group
    from faceapp.core.prototypes import group_prototypes
    from faceapp.jobs.models import shipped_calibration

    th = shipped_calibration("sface-2021dec")["thresholds"]
    t = threshold_from_calibration(th, far)
    x, y = library(known + new, seed=seed, noise=0.0)
    xk, yk, xn, yn = x[:known], y[:known], x[known:], y[known:]
    t0 = time.perf_counter()
    protos, owner = group_prototypes(xk, yk)
    t_proto = time.perf_counter() - t0
    t0 = time.perf_counter()
    g1, s1, g2, s2 = top2_by_group(xn, protos, owner)
    ok = (s1 >= t) & (s1 - s2 >= 0.05)
    t_assign = time.perf_counter() - t0
    q.put({"stage": "assign", "known_faces": known, "known_people": int(len(np.unique(yk))), "prototypes": int(len(protos)),
           "new_faces": new, "prototype_seconds": round(t_proto, 2), "assign_seconds": round(t_assign, 2),
           "assigned": int(ok.sum()), "assigned_correct": round(float((g1[ok] == yn[ok]).mean()) if ok.any() else 0.0, 4),
           "peak_rss_mb": round(_rss_mb(), 1)})


def _run(target, *args) -> dict:  # noqa: ANN001, ANN002
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=target, args=(*args, q))
    p.start()
    out = q.get()
    p.join()
    return out


def cmd_people_scale(args: argparse.Namespace) -> int:
    rows = []
    for n in args.faces:
        rows.append(_run(_cluster_stage, n, args.far, args.seed))
        print(json.dumps(rows[-1]), flush=True)
    if args.known:
        rows.append(_run(_assign_stage, args.known, args.new, args.far, args.seed))
        print(json.dumps(rows[-1]), flush=True)
    return 0


def _library_stage(n: int, new: int, seed: int, q: mp.Queue) -> None:
    """The user's path: a library file with N faces, `recluster`, then `assign_new` for new faces."""
    import tempfile
    from pathlib import Path

    import numpy as np

    from faceapp.bench.cluster_synth import library as synthetic_vectors
    from faceapp.jobs.models import ensure_active_model
    from faceapp.jobs.people import assign_new, recluster
    from faceapp.storage.faces import encode_crop
    from faceapp.storage.fixtures import add_synthetic_faces
    from faceapp.storage.session import library

    x, _ = synthetic_vectors(n + new, seed=seed)
    crop = encode_crop(np.zeros((112, 112, 3), np.uint8))
    with tempfile.TemporaryDirectory() as tmp, library(Path(tmp) / "bench.db") as db:
        model = ensure_active_model(db)["id"]

        def insert(lo: int, hi: int) -> None:
            add_synthetic_faces(db, model, x[lo:hi], lo, crop)

        insert(0, n)
        t0 = time.perf_counter()
        st = recluster(db)
        t_cluster = time.perf_counter() - t0
        insert(n, n + new)
        t0 = time.perf_counter()
        a = assign_new(db)
        t_assign = time.perf_counter() - t0
        q.put({"stage": "library", "faces": n, "recluster_seconds": round(t_cluster, 2), "people": st.people_new,
               "unsorted": st.unsorted, "new_faces": new, "assign_new_seconds": round(t_assign, 2),
               "assigned": a.assigned, "peak_rss_mb": round(_rss_mb(), 1)})


def cmd_people_library(args: argparse.Namespace) -> int:
    print(json.dumps(_run(_library_stage, args.faces, args.new, args.seed)), flush=True)
    return 0


def register_bench(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("people-scale", help="cluster N synthetic faces; place K new faces among M known")
    p.add_argument("--faces", type=int, nargs="+", default=[100_000], help="library sizes to cluster (default 100000)")
    p.add_argument("--known", type=int, default=1_000_000, help="known faces for incremental assignment (0: skip)")
    p.add_argument("--new", type=int, default=10_000, help="new faces to place")
    p.add_argument("--far", default="1e-3", help="calibrated FAR of the linking threshold (default: the app default)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_people_scale)
    p = sub.add_parser("people-library", help="recluster + assign_new through a library file (the user's path)")
    p.add_argument("--faces", type=int, default=100_000)
    p.add_argument("--new", type=int, default=1_000)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_people_library)
