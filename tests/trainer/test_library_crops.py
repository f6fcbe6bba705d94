"""Training reads crops from the library: one that does not decode is skipped and counted, not a crash."""

from __future__ import annotations

import numpy as np

from faceapp.storage.faces import insert_face
from faceapp.storage.photos import save_photo
from trainer.data.library import load_library


def test_a_non_png_crop_is_skipped_with_a_reason(db):
    ids = []
    for k in range(5):
        pid = save_photo(db, f"/p/{k}.jpg", 1, 1.0, f"h{k}", width=10, height=10)
        crop = np.full((112, 112, 3), k, np.uint8)
        ids.append(insert_face(db, pid, (0, 0, 5, 5), np.zeros((5, 2)), 0.9, 0.8, crop))
    db.execute("INSERT INTO persons (id, name, hidden, created_at) VALUES (1, 'Ann', 0, ''), (2, 'Bob', 0, '')")
    for f, p in zip(ids, [1, 1, 1, 2, 2], strict=True):
        db.execute("INSERT INTO face_assignments (face_id, person_id, source) VALUES (?, ?, 'confirmed')", [f, p])
    db.execute("UPDATE faces SET crop = x'ffd8ffe000' WHERE id = ?", [ids[0]])  # a JPEG header, cut short
    db.execute("UPDATE faces SET crop = x'00' WHERE id = ?", [ids[3]])  # Bob is left with one face
    fs = load_library(db)
    assert fs.names == ["Ann"] and fs.sources == [f"face:{ids[1]}", f"face:{ids[2]}"]
    assert int(fs.crops[1, 0, 0, 0]) == 2
    reasons = dict(fs.skipped)
    assert "crop" in reasons[f"face:{ids[0]}"] and "crop" in reasons[f"face:{ids[3]}"]
    assert "person:2" in reasons
