"""insightface model packs the user already has (`~/.insightface/models/<pack>/*.onnx`): find them,
tell each file's role, and register the pack's recognition model (and, if asked, its SCRFD detector)
in a library. faceapp never ships or downloads these packs; their models are for non-commercial
research use only, so nothing is written until the user has accepted those terms.

Roles come from the graphs' input and output shapes, the rule insightface's own `model_zoo` routes by
(≥ 5 outputs: SCRFD detector; 192×192 input: landmarks; 96×96: gender/age; two inputs at 128: face
swapper; a square input ≥ 112 and a multiple of 16: ArcFace recognition), read with onnx/onnxruntime.
Where the `insightface` package is installed, `use_insightface` (CLI: --with-insightface) asks its
`model_zoo.get_model` instead. That is opt-in, not the default: importing insightface 2.1 imports
`requests`, whose urllib3 opens an AF_INET6 socket (bound to ::1, an IPv6 probe) at import, and
faceapp's rule is no AF_INET/AF_INET6 call at all (tests/test_offline_native.py).

A pack's recognition model carries none of the metadata faceapp's model files do (DESIGN.md, "Model
file"), so a copy is written with it: RGB input, (x − 127.5) / 127.5 — insightface's ArcFaceONNX
normalisation, or none when the graph does it itself (its first nodes are Sub and Mul, as in the
MXNet-converted models) —, the pack's name and its licence. faceapp's aligned crop is the same
ArcFace 112×112 template insightface aligns to, so the crops a library holds feed it as they are.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlite_utils import Database

from faceapp.errors import FaceappError

log = logging.getLogger(__name__)

DEFAULT_ROOT = Path("~/.insightface/models")

LICENCE_TERMS = (
    "The insightface model packs (buffalo_l, buffalo_s, antelopev2 and the others in insightface's model zoo) "
    "are published by the insightface project for NON-COMMERCIAL RESEARCH USE ONLY, whether they were "
    "downloaded automatically or by hand; the training data behind them carries its own restrictions. "
    "faceapp does not ship or download them: it only registers a copy of a pack that is already on this "
    "computer, in this library. By accepting, you confirm that your use of the pack's models is "
    "non-commercial research use under those terms (or that you hold a licence from insightface that "
    "covers your use). See https://github.com/deepinsight/insightface#license."
)
LICENCE_SHORT = "insightface model pack: non-commercial research use only"

ROLES = ("recognition", "detection", "landmark", "attribute", "swapper", "unknown")


class PackError(FaceappError, ValueError):
    """A folder that is no usable pack, or a licence not accepted (a refusal: nothing was written)."""


@dataclass
class PackModel:
    path: Path
    role: str
    input_shape: list  # as onnxruntime reports it: ints, or names/None for dynamic axes
    output_shapes: list[list]
    mean: float = 127.5  # recognition: x' = (x - mean) / std on RGB 0..255
    std: float = 127.5
    via: str = "onnxruntime"  # who named the role: "insightface" (model_zoo) or "onnxruntime"

    @property
    def embedding_size(self) -> int:
        return int(self.output_shapes[0][-1])

    @property
    def input_size(self) -> int:
        return int(self.input_shape[2])


@dataclass
class Pack:
    name: str
    path: Path
    models: list[PackModel] = field(default_factory=list)

    def role(self, role: str) -> list[PackModel]:
        return [m for m in self.models if m.role == role]

    def summary(self) -> str:
        roles = ", ".join(f"{m.path.name} ({m.role})" for m in self.models)
        return f"{self.name}: {roles or 'no ONNX files'}"


@dataclass
class ImportResult:
    model_row: int
    model_id: str
    model_path: Path
    detector_path: Path | None
    pack: Pack
    recognition: PackModel


# ---- roles -----------------------------------------------------------------------------------------


def role_from_shapes(input_shapes: list[list], output_count: int) -> str:
    """insightface model_zoo's ModelRouter rule, on shapes alone."""
    shape = input_shapes[0] if input_shapes else []
    if output_count >= 5:
        return "detection"
    if len(shape) != 4:
        return "unknown"
    h, w = shape[2], shape[3]
    if h == w == 192:
        return "landmark"
    if h == w == 96:
        return "attribute"
    if len(input_shapes) == 2 and h == w == 128:
        return "swapper"
    if isinstance(h, int) and h == w and h >= 112 and h % 16 == 0 and output_count == 1:
        return "recognition"
    return "unknown"


def graph_normalises_itself(path: Path) -> bool:
    """insightface ArcFaceONNX's test: a Sub and a Mul among the first 8 nodes mean the graph
    normalises its input (MXNet-converted models), so it is fed raw 0..255 values."""
    import onnx

    nodes = onnx.load(str(path), load_external_data=False).graph.node[:8]
    sub = any(n.name.startswith(("Sub", "_minus")) for n in nodes)
    mul = any(n.name.startswith(("Mul", "_mul")) for n in nodes)
    return sub and mul


def _shapes(path: Path) -> tuple[list[list], list[list]]:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    return [list(i.shape) for i in sess.get_inputs()], [list(o.shape) for o in sess.get_outputs()]


def _insightface_model_zoo():  # noqa: ANN202 — the module, or None
    """insightface.model_zoo when the package is installed. Its import pulls in albumentations where that
    is installed, which asks the network for updates unless told not to."""
    os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    try:
        from insightface import model_zoo
    except Exception:  # noqa: BLE001 — absent, or broken (a missing native dependency): fall back
        return None
    return model_zoo


def _role_by_insightface(model_zoo, path: Path) -> tuple[str, float, float] | None:  # noqa: ANN001
    try:
        m = model_zoo.get_model(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001 — a file its router cannot load: faceapp's reading decides
        log.info("insightface could not load %s: %s", path.name, exc)
        return None
    if m is None:
        return "unknown", 127.5, 127.5
    task = str(getattr(m, "taskname", "") or "")
    role = {"recognition": "recognition", "detection": "detection", "landmark_2d_106": "landmark",
            "landmark_3d_68": "landmark", "genderage": "attribute", "attribute": "attribute"}.get(task)
    if role is None:
        role = "swapper" if type(m).__name__ == "INSwapper" else "landmark" if task.startswith("landmark") else "unknown"
    return role, float(getattr(m, "input_mean", 127.5)), float(getattr(m, "input_std", 127.5))


def insightface_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("insightface") is not None


def inspect_model(path: str | Path, use_insightface: bool = False) -> PackModel:
    """The file's role and preprocessing, read with onnx/onnxruntime; with `use_insightface`, as
    insightface's model_zoo tells them (a disagreement with faceapp's own reading is logged)."""
    path = Path(path)
    inputs, outputs = _shapes(path)
    role = role_from_shapes(inputs, len(outputs))
    mean = std = 127.5
    if role == "recognition" and graph_normalises_itself(path):
        mean, std = 0.0, 1.0
    own = PackModel(path, role, inputs[0] if inputs else [], outputs, mean, std)
    if not use_insightface:
        return own
    model_zoo = _insightface_model_zoo()
    if model_zoo is None:
        raise PackError("the insightface package is not installed here (faceapp reads packs without it)")
    found = _role_by_insightface(model_zoo, path)
    if found is None:
        return own
    role, mean, std = found
    if role != "recognition":
        mean, std = own.mean, own.std  # only a recognition model's preprocessing is used
    if (role, mean, std) != (own.role, own.mean, own.std):
        log.warning("%s: insightface reads %s (x - %g) / %g, faceapp %s (x - %g) / %g; insightface's reading is used",
                    path.name, role, mean, std, own.role, own.mean, own.std)
    return PackModel(path, role, own.input_shape, outputs, mean, std, via="insightface")


def inspect_pack(folder: str | Path, use_insightface: bool = False) -> Pack:
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise PackError(f"no such folder: {folder}")
    pack = Pack(folder.name, folder)
    for f in sorted(folder.glob("*.onnx")):
        try:
            pack.models.append(inspect_model(f, use_insightface))
        except PackError:
            raise
        except Exception as exc:  # noqa: BLE001 — a damaged file is reported, the others still count
            log.warning("skipping %s: %s", f, exc)
            pack.models.append(PackModel(f, "unknown", [], []))
    return pack


def find_packs(root: str | Path = DEFAULT_ROOT) -> list[Path]:
    """Folders under `root` (default ~/.insightface/models) holding ONNX files: the packs on disk."""
    root = Path(root).expanduser()
    if not root.is_dir():
        return []
    return sorted(d for d in root.iterdir() if d.is_dir() and any(d.glob("*.onnx")))


# ---- the faceapp model file ------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def model_id_for(pack: Pack, model: PackModel) -> str:
    return f"insightface-{pack.name}-{model.path.stem}"


def stamped_model(pack: Pack, model: PackModel):  # noqa: ANN201 — an onnx.ModelProto
    """The pack's recognition graph with faceapp's metadata added (the weights untouched)."""
    import onnx

    proto = onnx.load(str(model.path))
    meta = {
        "model_id": model_id_for(pack, model),
        "base_model": model_id_for(pack, model),
        "embedding_size": str(model.embedding_size),
        "input_size": str(model.input_size),
        "color_order": "RGB",
        "normalization": json.dumps({"mean": model.mean, "std": model.std,
                                     "note": "insightface ArcFaceONNX preprocessing (x - mean) / std on RGB"}),
        "loss": "ArcFace-family (insightface model zoo)",
        "loss_params": "{}",
        "training_data": f"insightface model pack {pack.name} ({model.path.name})",
        "license": LICENCE_SHORT,
        "source": "insightface",
        "insightface_pack": pack.name,
        "insightface_file": model.path.name,
        "insightface_sha256": _sha256(model.path),
        "thresholds": "{}",
    }
    kept = [p for p in proto.metadata_props if p.key not in meta]
    del proto.metadata_props[:]
    proto.metadata_props.extend(kept)
    for k, v in meta.items():
        proto.metadata_props.append(onnx.StringStringEntryProto(key=k, value=v))
    return proto


def _models_dir(db: Database) -> Path:
    from faceapp import paths
    from faceapp.storage import models as model_store

    lib = model_store.library_file(db)
    return (lib.parent if lib is not None else paths.data_dir()) / "models"


def _write_atomic(dest: Path, data: bytes) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    tmp.write_bytes(data)
    os.replace(tmp, dest)


def choose(pack: Pack, role: str, name: str | None = None) -> PackModel | None:
    found = [m for m in pack.role(role) if name is None or m.path.name == name or m.path.stem == name]
    if len(found) > 1:
        raise PackError(f"{pack.name} has several {role} models ({', '.join(m.path.name for m in found)}); "
                        "name one with --model")
    return found[0] if found else None


def import_pack(db: Database, folder: str | Path, accept_licence: bool, detector: bool = False,
                model_name: str | None = None, use_insightface: bool = False) -> ImportResult:
    """Register the pack's recognition model in the library (not made active), and with `detector`
    copy its SCRFD detector beside the library. Refuses, writing nothing, unless the licence terms
    (LICENCE_TERMS) were accepted."""
    from faceapp.jobs.models import ensure_active_model, register_model_file

    if not accept_licence:
        raise PackError("the insightface pack's licence terms were not accepted; nothing was imported")
    pack = inspect_pack(folder, use_insightface)
    rec = choose(pack, "recognition", model_name)
    if rec is None:
        named = f" named {model_name}" if model_name else ""
        raise PackError(f"no recognition model{named} in {pack.path} ({pack.summary()})")
    det = choose(pack, "detection") if detector else None
    if detector and det is None:
        raise PackError(f"no SCRFD detector in {pack.path} ({pack.summary()})")
    ensure_active_model(db)  # the bundled model stays first and active; the pack's is only registered
    data = stamped_model(pack, rec).SerializeToString()
    sha = hashlib.sha256(data).hexdigest()
    dest = _models_dir(db) / f"{sha[:16]}.onnx"  # where faceapp.jobs.models keeps a library's copy
    if not (dest.exists() and _sha256(dest) == sha):
        _write_atomic(dest, data)
    det_path = None
    if det is not None:
        det_path = _models_dir(db) / "detectors" / f"{pack.name}-{det.path.name}"
        if not (det_path.exists() and _sha256(det_path) == _sha256(det.path)):
            _write_atomic(det_path, det.path.read_bytes())
    extra = {"license": LICENCE_SHORT, "insightface_pack": pack.name, "insightface_file": rec.path.name,
             "preprocessing_from": rec.via, "licence_accepted": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    extra.update(_kept_calibration(db, model_id_for(pack, rec), sha))
    if det_path is not None:
        extra["detector"] = str(det_path)
    row = register_model_file(db, dest, extra=extra)
    return ImportResult(row, model_id_for(pack, rec), dest, det_path, pack, rec)


def _kept_calibration(db: Database, model_id: str, sha: str) -> dict:
    """A re-import of the same file keeps the thresholds measured for it (registering rewrites the row)."""
    from faceapp.storage import models as model_store

    row = model_store.row_for_model_id(db, model_id)
    if row is None:
        return {}
    old = model_store.model_row(db, row)
    if old["sha256"] != sha:
        return {}
    keys = ("thresholds", "tar_at_far", "far_curve", "pairs", "calibrated_on", "created")
    return {k: old["metadata"][k] for k in keys if old["metadata"].get(k)}


def calibrate_imported(db: Database, model_row: int, dirs: list[str | Path], progress=None) -> dict:  # noqa: ANN001
    """Measure the imported model's verification thresholds on labeled photos (a folder per person,
    faceapp.jobs.calibrate) and keep them with its row: clustering and verify read them from there.
    A pack brings no thresholds for faceapp's aligned crops, and faceapp never guesses one."""
    import numpy as np

    from faceapp.core.embed import Embedder
    from faceapp.jobs.calibrate import calibrate, embed_dataset
    from faceapp.storage import models as model_store

    row = model_store.model_row(db, model_row)
    embedder = Embedder(row["path"], device="cpu")
    xs, labels, sources = [], [], {}
    for d in dirs:
        x, lab = embed_dataset(d, embedder, progress=progress)
        xs.append(x)
        labels += [f"{Path(d).name}/{v}" for v in lab]
        sources[Path(d).name] = {"faces": len(lab), "people": len(set(lab))}
    if len(set(labels)) < 2 or not len(labels):
        raise PackError("calibration needs labeled photos of at least two people (a folder per person)")
    rec = calibrate(np.concatenate(xs), labels, sources, row["model_id"])
    model_store.store_calibration(db, model_row, rec)
    return rec
