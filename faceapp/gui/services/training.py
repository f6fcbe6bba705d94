"""Improving recognition: the loss choices, the GPU probe, fine-tuning (trainer.pipeline, loaded
only inside the training process) and switching the library's model."""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database

from faceapp.gui.services.people import recluster
from faceapp.gui.services.types import TrainReport
from faceapp.loss_catalogue import CATALOGUE
from faceapp.progress import Progress, ProgressFn, StopFn, report
from faceapp.types import Device

# name -> the exact description (the GUI's tooltip), in the catalogue's order: the default first
LOSS_HELP: dict[str, str] = {loss.name: loss.technical for loss in CATALOGUE}


_GPU_PROBE = """
try:
    import torch
except ImportError:
    print("none")
else:
    print(torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu")
"""


def gpu_info() -> str:
    """One line on what training can run on. Asks a child process: importing torch in this process
    would hold the GIL (and so freeze the window) for a third of a second."""
    import subprocess
    import sys

    try:
        out = subprocess.run([sys.executable, "-c", _GPU_PROBE], capture_output=True, text=True, timeout=120)
        answer = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else "none"
    except (OSError, subprocess.SubprocessError):
        answer = "none"
    if answer == "none":
        return "PyTorch is not installed: training is unavailable (pip install 'faceapp[train]')"
    if answer == "cpu":
        return "No GPU found: training runs on the CPU (slower)"
    return f"GPU found: {answer}"


def train(db: Database, source: str, loss: str, epochs: int, device: Device, out_dir: str,
          progress: ProgressFn | None = None, stop: StopFn | None = None) -> TrainReport:
    """Fine-tune the active model on the library's named people (source="library": every face they
    hold, confirmed or not) or on an album folder (a folder per person) → a new ONNX file and a
    before/after report. Heavy: the GUI runs it in a child process (faceapp.gui.train_process)."""
    from trainer.config import TrainConfig
    from trainer.pipeline import run_finetune

    last = [Progress("preparing", 0, 0, "Gathering the training faces…")]

    def say(p: Progress) -> None:
        last[0] = p
        if progress is not None:
            progress(p)

    say(last[0])
    from trainer.data.spec import DataSpec, load_data

    cfg = TrainConfig(loss=loss, epochs=epochs, device=device)
    spec = (DataSpec("db", confirmed_only=False, anchors=cfg.anchors_wanted()) if source == "library"
            else DataSpec("albums", Path(source)))
    data, what = load_data(spec, db, progress=lambda p: say(
        Progress("preparing", p.done, p.total, "Finding the faces in the albums…")))

    def log(text: str) -> None:  # a line of the trainer's: the bar stays where it is
        say(Progress(last[0].stage, last[0].done, last[0].total, text))

    try:
        report = run_finetune(data, cfg, out_dir, what, log=log, progress=say, stop=stop)
    except ValueError as exc:
        raise ValueError(f"{exc}. Training needs more faces: name more people, each with five or more faces "
                         "(a fifth of them are kept aside to measure before and after)") from exc
    out = Path(out_dir)
    before, after = _figures(report["before"].get("heldout")), _figures(report["after"].get("heldout"))
    return TrainReport(report["model_path"], str(out / "report.json"), str(out / "report.png"),
                       before, after, kept_base(report), outcome_message(report))


def kept_base(report: dict, before: dict | None = None, after: dict | None = None) -> bool:
    """Whether training gave nothing to switch to: the trainer's selection kept the base model, or
    the trained model is within noise of it on the held-out faces (trainer.outcome). A report
    without held-out figures is judged on `before`/`after` (the view's figures): equal means unchanged."""
    from trainer.outcome import outcome

    if not (report.get("before") or {}).get("heldout") and before is not None:
        kept = (report.get("selection") or {}).get("kept") or {}
        return bool(kept and (kept.get("epoch") == 0 or kept.get("alpha") == 0)) or before == after
    return not outcome(report).improved


def outcome_message(report: dict) -> str:
    """The sentence the Improve view shows: "no improvement found; your model is unchanged", or
    by how much the model improved on the held-out faces of the user's people."""
    from trainer.outcome import outcome

    text = outcome(report).message
    return text[0].upper() + text[1:] + "."


def _figures(ev: dict | None) -> dict:
    if not ev:  # too few held-out faces for figures
        return {}
    v, c = ev["verification"], ev["clustering"]
    return {"TAR @ FAR 1e-3": v["tar_at_far1e-3"], "10-fold accuracy": v["tenfold_accuracy"],
            "BCubed F": c["bcubed_f"], "NMI": c["nmi"]}


def models(db: Database) -> list[dict]:
    from faceapp.storage import models as model_store

    return model_store.list_models(db)


def import_insightface(db: Database, folder: str, accepted: bool, calibrate_dir: str = "",
                       progress: ProgressFn | None = None, stop: StopFn | None = None) -> dict:
    """Register an insightface pack's recognition model (faceapp.jobs.insightface_pack; refused unless
    its licence terms were accepted), and measure its thresholds on an album folder when given one."""
    from faceapp.jobs.insightface_pack import LICENCE_SHORT, calibrate_imported, import_pack

    report(progress, "importing", 0, 0, "Reading the model pack…")
    res = import_pack(db, folder, accept_licence=accepted)
    text = f"Added {res.model_id} ({LICENCE_SHORT})."
    calibrated = False
    if calibrate_dir:
        report(progress, "importing", 0, 0, "Measuring how alike faces look to it, on your album folder…")
        cal = calibrate_imported(db, res.model_row, [calibrate_dir])
        calibrated = True
        text += (f" Measured on {cal['people']} people. To use it, choose it under Models and press "
                 "“Make this model active”.")
    else:
        text += (" Before it can group people it must be measured on labeled photos: add it again and choose "
                 "an album folder (one sub-folder per person), or run `faceapp calibrate`.")
    return {"model": res.model_row, "model_id": res.model_id, "calibrated": calibrated, "message": text}


def activate_model(db: Database, model_row: int, device: Device = "auto", strictness: float = 0.5,
                   progress: ProgressFn | None = None, stop: StopFn | None = None) -> dict:
    """Make a registered model active again (embedding any faces it lacks), then re-cluster."""
    from faceapp.jobs.reembed import activate

    # refused first when the model has no measured thresholds (jobs.models.refuse_uncalibrated);
    # every face embedded, then the flip, in one write transaction (a scan may be adding faces)
    if not activate(db, model_row, device=device, progress=progress, stop=stop):
        return {"cancelled": True}
    return {"model": model_row, "people": recluster(db, strictness, progress, stop)}


def accept_model(db: Database, onnx_path: str, device: Device = "auto", strictness: float = 0.5,
                 progress: ProgressFn | None = None, stop: StopFn | None = None) -> dict:
    """Register the trained model, embed every stored crop with it, make it active, re-cluster.
    Every user decision is a row of its own, so re-clustering keeps them all."""
    from faceapp.jobs.reembed import switch_model

    row = switch_model(db, onnx_path, device=device, progress=progress, stop=stop)
    if row is None:
        return {"cancelled": True}
    return {"model": row, "people": recluster(db, strictness, progress, stop)}
