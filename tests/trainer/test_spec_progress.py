"""One loader for training data specs (trainer.data.spec) and the trainer's progress through
faceapp.progress (the record every long job reports, and its stop callable)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from faceapp.progress import Progress
from trainer.config import TrainConfig
from trainer.data.spec import DataSpec, load_data


def test_a_config_names_one_kind_of_data() -> None:
    assert DataSpec.from_config({"aligned": "/x/crops"}) == DataSpec("aligned", Path("/x/crops"))
    assert DataSpec.from_config({"db": "lib.db"}).describe() == "library lib.db"
    assert DataSpec("albums", Path("/a/family")).describe() == "albums family"
    assert DataSpec("db", confirmed_only=False).describe() == "library"  # a library given open
    with pytest.raises(ValueError, match="data.albums, data.aligned or data.db"):
        DataSpec.from_config({"photos": "/x"})


def test_missing_folders_and_libraries_are_refused_in_words(tmp_path) -> None:
    with pytest.raises(ValueError, match="no such folder"):
        load_data(DataSpec("albums", tmp_path / "nope"))
    with pytest.raises(ValueError, match="no such library"):
        load_data(DataSpec("db", tmp_path / "nope.db"))


def test_a_library_file_is_read_and_closed(tmp_path) -> None:
    from faceapp.storage.db import open_library
    from faceapp.storage.faces import insert_face

    path = tmp_path / "lib.db"
    db = open_library(path)
    db.execute("INSERT INTO photos (id, path) VALUES (1, '/a.jpg')")
    ids = [insert_face(db, 1, (0, 0, 10, 10), np.zeros((5, 2)), 0.9, 0.5, np.full((112, 112, 3), i, np.uint8))
           for i in range(4)]
    db.execute("INSERT INTO persons (id, name) VALUES (1, 'Ann'), (2, 'Bob')")
    for fid, pid, src in zip(ids, [1, 1, 2, 2], ["user", "confirmed", "user", "cluster"], strict=True):
        db.execute("INSERT INTO face_assignments (face_id, person_id, source) VALUES (?, ?, ?)", [fid, pid, src])
    db.conn.commit()
    db.conn.close()
    fs, what = load_data(DataSpec("db", path))
    assert (fs.names, what) == (["Ann"], "library lib.db")  # Bob has one confirmed face
    fs, _ = load_data(DataSpec("db", path, confirmed_only=False))
    assert fs.names == ["Ann", "Bob"]


def test_the_console_line_shows_the_trainers_text() -> None:
    from trainer.progress import print_progress

    out = io.StringIO()
    print_progress(Progress("epoch 1/3", 4, 4, "loss 0.1234  56 img/s"), out)
    line = out.getvalue()
    assert line.startswith("\repoch 1/3  4/4  loss 0.1234  56 img/s  elapsed ") and line.endswith("\n")


def test_training_reports_progress_records_and_stops_when_asked(real_crops) -> None:
    from trainer.engine import TrainingCancelled, train

    tr, _ = real_crops.split_photos(0.75)
    cfg = TrainConfig(loss="cosface", epochs=1, head_warmup=1, batch_size=16, device="cpu", trainable_units=1)
    seen: list = []
    train(cfg, tr, None, progress=seen.append)
    assert seen and all(isinstance(p, Progress) for p in seen)
    stages = [p.stage for p in seen]
    assert stages[0] == "features" and "head warm-up 1/1" in stages and stages[-1] == "epoch 1/1"
    last = seen[-1]
    assert last.done == last.total > 0 and last.text.startswith("loss ") and "img/s" in last.text
    asked = []
    with pytest.raises(TrainingCancelled, match="training cancelled"):
        train(cfg, tr, None, progress=None, stop=lambda: asked.append(1) or len(asked) > 2)
    assert len(asked) == 3  # checked before each step; the third said stop
