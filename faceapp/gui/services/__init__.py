"""The one adapter between the GUI and faceapp.jobs (people, review, verify, export) and the
trainer: views call one of these per user action and get plain dataclasses back (no Qt, no SQL
in the views). Each submodule wraps one job module; this package re-exports them flat.
"""

from faceapp.gui.services.export import export
from faceapp.gui.services.people import (
    confirm,
    hide_people,
    list_people,
    merge,
    merge_many,
    merge_suggestions,
    move,
    not_a_face,
    people_not_faces,
    person,
    person_faces,
    recluster,
    reject,
    rename,
    set_hidden,
    split,
    undo,
    unsorted_faces,
)
from faceapp.gui.services.review import accept_all, reject_all, review_queue, review_references
from faceapp.gui.services.training import (
    LOSS_HELP,
    accept_model,
    activate_model,
    gpu_info,
    import_insightface,
    models,
    train,
)
from faceapp.gui.services.types import TrainReport, Verdict, ViewerFace
from faceapp.gui.services.verify import all_faces, thresholds, verify_faces, verify_photos

__all__ = [
    "LOSS_HELP", "TrainReport", "Verdict", "ViewerFace", "accept_all", "accept_model",
    "activate_model", "all_faces", "confirm", "export", "gpu_info", "hide_people", "import_insightface", "list_people", "merge",
    "merge_many", "merge_suggestions",
    "models", "move", "not_a_face", "people_not_faces", "person", "person_faces", "recluster", "reject", "reject_all",
    "rename", "review_queue", "review_references", "set_hidden", "split", "thresholds", "train", "undo", "unsorted_faces",
    "verify_faces", "verify_photos",
]
