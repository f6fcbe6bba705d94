"""The GPU paths, checked: run by scripts/gpu_check.sh (which prepares the environment).

Checks, one summary line each (PASS / FAIL / SKIP and why), also written to the file given by --out:
  ort_cuda   the embedding session really gets CUDAExecutionProvider, and its embeddings match the CPU's
             (cosine >= 0.999 on aligned crops)
  scan_cuda  `faceapp scan` of celeba_dev on the GPU, photos/s
  train_cuda `faceapp train --device cuda` (AMP, whole network) finishes with a report
  ddp        the DistributedDataParallel path through torchrun: NCCL on every GPU when there are two or
             more, else gloo with two CPU processes (the same code path, no GPU)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LINES: list[str] = []


def report(name: str, status: str, detail: str) -> None:
    line = f"{name:<11} {status:<4} {detail}"
    LINES.append(line)
    print(line, flush=True)


def failure(text: str, keep: int = 400) -> str:
    """The end of the first Python traceback in a child's output (torchrun's own summary hides the cause)."""
    text = re.sub(r"^\[rank\d+\]: ?", "", text, flags=re.M)  # torchrun prefixes each child's lines
    at = text.find("Traceback (most recent call last)")
    body = text[at:] if at >= 0 else text
    if at >= 0:  # up to the exception line: the first line after the traceback that is not indented
        lines = body.splitlines()
        end = next((i for i, ln in enumerate(lines[1:], 1) if ln and not ln.startswith(" ")), len(lines) - 1)
        body = "\n".join(lines[: end + 1])
    return body.strip()[-keep:]


def faceapp_cmd() -> list[str]:
    return [sys.executable, "-m", "faceapp"]


def gpus() -> tuple[int, str]:
    """(number of CUDA GPUs torch sees, why none when 0)."""
    try:
        import torch
    except ImportError:
        return 0, "torch is not installed"
    if not torch.cuda.is_available():
        built = torch.version.cuda
        return 0, (f"torch {torch.__version__} is a CPU build" if not built
                   else f"torch {torch.__version__} (CUDA {built}) sees no GPU")
    return torch.cuda.device_count(), ""


def aligned_crops(data: Path, n: int = 512):
    import numpy as np
    from PIL import Image

    files = sorted((data / "glint_aligned").rglob("*.jpg"))[:n] + sorted((data / "glint_aligned").rglob("*.png"))[:n]
    if not files:
        return None
    return np.stack([np.asarray(Image.open(f).convert("RGB").resize((112, 112))) for f in files[:n]])


def check_ort_cuda(data: Path) -> bool:
    import numpy as np
    import onnxruntime as ort

    from faceapp import paths
    from faceapp.core.embed import Embedder

    if "CUDAExecutionProvider" not in ort.get_available_providers():
        report("ort_cuda", "SKIP", f"onnxruntime {ort.__version__} has no CUDAExecutionProvider "
               f"(providers: {', '.join(ort.get_available_providers())}; the GPU build is onnxruntime-gpu)")
        return False
    gpu = Embedder(paths.SFACE, device="cuda", batch_size=64)
    gpu.info  # noqa: B018 -- loads the session
    how = "as the app loads it"
    if gpu.provider != "CUDAExecutionProvider" and hasattr(ort, "preload_dlls"):
        # the CUDA/cuDNN libraries are not on the loader's path: onnxruntime can load them from the
        # nvidia-* pip packages (onnxruntime-gpu[cuda,cudnn]) or from torch when asked to
        ort.preload_dlls()
        gpu = Embedder(paths.SFACE, device="cuda", batch_size=64)
        gpu.info  # noqa: B018
        how = "only after onnxruntime.preload_dlls() (the app does not call it)"
    if gpu.provider != "CUDAExecutionProvider":
        report("ort_cuda", "FAIL", f"asked for CUDA, the session got {gpu.provider} (CUDA/cuDNN libraries not found?)")
        return False
    crops = aligned_crops(data)
    if crops is None:
        rng = np.random.default_rng(0)
        crops = rng.integers(0, 256, (256, 112, 112, 3), dtype=np.uint8)
    cpu = Embedder(paths.SFACE, device="cpu").embed(crops)
    t = time.perf_counter()
    g = gpu.embed(crops)
    dt = time.perf_counter() - t
    cos = (cpu * g).sum(1)
    ok = float(cos.min()) >= 0.999
    report("ort_cuda", "PASS" if ok else "FAIL",
           f"CUDAExecutionProvider {how}; {len(crops)} crops, cosine to CPU min {cos.min():.5f} mean {cos.mean():.5f} "
           f"(>= 0.999 wanted); {len(crops) / dt:.0f} crops/s")
    return ok


def check_scan_cuda(data: Path, work: Path, cuda_ort: bool, limit: int) -> None:
    src = data / "celeba_dev"
    if not cuda_ort:
        report("scan_cuda", "SKIP", "no CUDA embedding session (see ort_cuda)")
        return
    if not src.is_dir():
        report("scan_cuda", "SKIP", f"{src} is absent")
        return
    if limit:
        sub = work / "celeba_subset"
        sub.mkdir(exist_ok=True)
        for f in sorted(p for p in src.rglob("*") if p.suffix.lower() in (".jpg", ".png"))[:limit]:
            (sub / f"{f.parent.name}_{f.name}").symlink_to(f)
        src = sub
    res = subprocess.run([*faceapp_cmd(), "scan", str(src), "--db", str(work / "scan.db"), "--device", "cuda",
                          "--json", "-q"], capture_output=True, text=True)
    if res.returncode != 0:
        report("scan_cuda", "FAIL", f"exit {res.returncode}: {res.stderr.strip()[-300:]}")
        return
    stats = json.loads(res.stdout[res.stdout.index("{"):])
    prov = stats.get("provider") or "?"
    report("scan_cuda", "PASS" if "CUDA" in prov and not stats.get("errors") else "FAIL",
           f"{stats.get('processed')} photos ({sum(stats.get('errors', {}).values())} errors), {stats.get('faces')} faces, {stats.get('photos_per_s', 0):.1f} photos/s, "
           f"{stats.get('faces_per_s', 0):.1f} faces/s, embedding on {prov}")


def check_train_cuda(data: Path, work: Path, ngpu: int, why: str, epochs: int) -> None:
    src = data / "glint_aligned"
    if not ngpu:
        report("train_cuda", "SKIP", why)
        return
    if not src.is_dir():
        report("train_cuda", "SKIP", f"{src} is absent")
        return
    out = work / "train"
    t = time.perf_counter()
    res = subprocess.run([*faceapp_cmd(), "train", "--aligned", str(src), "--device", "cuda", "--epochs", str(epochs),
                          "--out", str(out)], capture_output=True, text=True)
    dt = time.perf_counter() - t
    if res.returncode != 0 or not (out / "report.json").exists():
        report("train_cuda", "FAIL", f"exit {res.returncode}: {failure(res.stderr)}")
        return
    trained = next((line.strip() for line in res.stdout.splitlines() if line.strip().startswith("trained in")), "?")
    whole = "whole network" in trained and "cuda" in trained
    report("train_cuda", "PASS" if whole else "FAIL", f"{dt:.0f} s in all, at most {epochs} epochs on {src.name}; "
           f"'{trained}'; model.onnx written: {(out / 'model.onnx').exists()}")


def small_aligned(data: Path, work: Path, per_person: int) -> Path | None:
    src = data / "glint_aligned"
    if not src.is_dir():
        return None
    dst = work / "aligned_small"
    for person in sorted(p for p in src.iterdir() if p.is_dir()):
        (dst / person.name).mkdir(parents=True, exist_ok=True)
        for f in sorted(person.iterdir())[:per_person]:
            (dst / person.name / f.name).symlink_to(f)
    return dst


def check_ddp(data: Path, work: Path, ngpu: int, epochs: int) -> None:
    if shutil.which("torchrun") is None and not (Path(sys.executable).parent / "torchrun").exists():
        report("ddp", "SKIP", "torchrun is not installed (it comes with torch)")
        return
    torchrun = str(Path(sys.executable).parent / "torchrun") if (Path(sys.executable).parent / "torchrun").exists() \
        else shutil.which("torchrun")
    on_gpu = ngpu >= 2
    src = data / "glint_aligned" if on_gpu else small_aligned(data, work, per_person=24)
    if src is None or not src.is_dir():
        report("ddp", "SKIP", f"{data / 'glint_aligned'} is absent")
        return
    nproc = ngpu if on_gpu else 2
    cfg = {"data": {"aligned": str(src)}, "out": str(work / "ddp"),
           "train": {"device": "cuda" if on_gpu else "cpu", "epochs": epochs if on_gpu else 1, "workers": 0}}
    (work / "ddp.json").write_text(json.dumps(cfg))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
           "OMP_NUM_THREADS": "1"}
    t = time.perf_counter()
    res = subprocess.run([torchrun, "--standalone", "--nproc_per_node", str(nproc), "-m", "trainer", str(work / "ddp.json")],
                         capture_output=True, text=True, env=env, cwd=work)
    dt = time.perf_counter() - t
    backend = f"NCCL on {ngpu} GPUs" if on_gpu else "gloo, 2 CPU processes (fewer than two GPUs: NCCL not exercised)"
    if res.returncode != 0 or not (work / "ddp" / "report.json").exists():
        report("ddp", "FAIL", f"{backend}: exit {res.returncode}: {failure(res.stderr + res.stdout)}")
        return
    report("ddp", "PASS", f"{backend}; {dt:.0f} s; report.json written by rank 0")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("FACEAPP_SHARED_DATA", REPO.parent / "shared" / "data")))
    ap.add_argument("--out", type=Path, default=Path("gpu_check.txt"))
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--scan-limit", type=int, default=0, help="scan only this many celeba_dev photos (0: all)")
    ap.add_argument("--no-ddp-on-cpu", action="store_true", help="skip the gloo DDP run when there are < 2 GPUs")
    args = ap.parse_args()
    args.data = args.data.resolve()  # the DDP check links to these files from a work folder elsewhere
    os.environ.setdefault("FACEAPP_HOME", tempfile.mkdtemp(prefix="faceapp-gpu-home-"))
    work = Path(tempfile.mkdtemp(prefix="faceapp-gpu-check-"))
    ngpu, why = gpus()
    names = ""
    if ngpu:
        import torch

        names = ", ".join(torch.cuda.get_device_name(i) for i in range(ngpu))
    report("env", "INFO", f"python {sys.version.split()[0]}; {ngpu} GPU(s) {names}{why}")
    for name, fn in (("ort_cuda", lambda: check_ort_cuda(args.data)),):
        try:
            cuda_ort = fn()
        except Exception as exc:  # noqa: BLE001 -- a check that breaks is reported, the others still run
            report(name, "FAIL", f"{type(exc).__name__}: {exc}")
            cuda_ort = False
    checks = [("scan_cuda", lambda: check_scan_cuda(args.data, work, cuda_ort, args.scan_limit)),
              ("train_cuda", lambda: check_train_cuda(args.data, work, ngpu, why, args.epochs))]
    if ngpu >= 2 or not args.no_ddp_on_cpu:
        checks.append(("ddp", lambda: check_ddp(args.data, work, ngpu, args.epochs)))
    else:
        report("ddp", "SKIP", "fewer than two GPUs and --no-ddp-on-cpu")
    for name, fn in checks:
        try:
            fn()
        except Exception as exc:  # noqa: BLE001
            report(name, "FAIL", f"{type(exc).__name__}: {exc}")
    args.out.write_text("\n".join(LINES) + "\n")
    print(f"summary written to {args.out}")
    shutil.rmtree(work, ignore_errors=True)
    return 1 if any(" FAIL " in f" {line} " for line in LINES) else 0


if __name__ == "__main__":
    sys.exit(main())
