"""cfg.anchor_distill: the library's unlabeled faces are held near the base model's directions while
the named people are learned (trainer.batches.Anchors), and the library loader supplies them."""

from __future__ import annotations

import numpy as np


def _drift(net, base, crops) -> float:  # noqa: ANN001
    from trainer.features import embed_crops

    a, b = embed_crops(net, crops), embed_crops(base, crops)
    return float((1 - (a * b).sum(1)).mean())


def test_anchor_distillation_keeps_the_unlabeled_faces_near_the_base_model(real_crops, tmp_path) -> None:
    from trainer.backbones import build_backbone
    from trainer.config import TrainConfig
    from trainer.engine import train

    named = np.flatnonzero(real_crops.labels < 4)
    data = real_crops.subset(named, relabel=True)
    others = real_crops.crops[real_crops.labels >= 4]  # two people nobody named
    base = build_backbone("sface").eval()

    def run(weight: float) -> float:
        cfg = TrainConfig(loss="cosface", epochs=3, batch_size=8, device="cpu", trainable_units=1, lr=1e-3, distill=0.0,
                          anchor_distill=weight, head_warmup=0, out_dir=str(tmp_path / str(weight)), workers=0)
        return _drift(train(cfg, data, None, progress=None, anchors=others).net, base, others)

    free, held = run(0.0), run(50.0)  # measured: 0.55 and 0.09
    assert free > 0.1  # the fine-tune moves faces it never saw
    assert held < 0.5 * free  # the anchors' pull keeps them where the base model put them


def test_the_library_loader_gives_the_faces_no_named_person_holds_as_anchors(db) -> None:
    from faceapp.storage.faces import insert_face
    from faceapp.storage.people import add_not_face
    from faceapp.storage.photos import save_photo
    from trainer.data.library import load_library

    ids = []
    for k in range(8):
        pid = save_photo(db, f"/p/{k}.jpg", 1, 1.0, f"h{k}", width=10, height=10)
        ids.append(insert_face(db, pid, (0, 0, 5, 5), np.zeros((5, 2)), 0.9, 0.8, np.full((112, 112, 3), k, np.uint8)))
    db.execute("INSERT INTO persons (id, name, hidden, created_at) VALUES (1, 'Ann', 0, ''), (2, NULL, 0, '')")
    for f, p, src in [(ids[0], 1, "confirmed"), (ids[1], 1, "confirmed"), (ids[2], 1, "cluster"), (ids[3], 2, "cluster")]:
        db.execute("INSERT INTO face_assignments (face_id, person_id, source) VALUES (?, ?, ?)", [f, p, src])
    add_not_face(db, ids[7])
    assert load_library(db).anchors is None  # only a run that uses them reads them (TrainConfig.anchors_wanted)
    fs = load_library(db, anchors=100)
    # Ann's faces (confirmed or proposed) train or are hers; a not-a-face mark is no face at all
    assert sorted(int(c[0, 0, 0]) for c in fs.anchors) == [3, 4, 5, 6]
    assert len(load_library(db, anchors=2).anchors) == 2


def test_a_run_reads_unlabeled_faces_only_when_it_uses_them() -> None:
    from trainer.config import TrainConfig

    assert TrainConfig().anchors_wanted() == 0
    assert TrainConfig(refit=True).anchors_wanted() == TrainConfig().anchor_faces  # the refit's shift
    assert TrainConfig(anchor_distill=1.0, anchor_faces=300).anchors_wanted() == 300
