"""The desktop app (`faceapp`, `faceapp gui`); the only package that imports PySide6.

Layout, napari/Anki style — the views are thin, the work is elsewhere:

- `views/`: one module per view; each user action is one call into `services`.
- `services/`: plain-Python adapter over faceapp.jobs (people, review, verify, export) and the
  trainer; returns dataclasses, never Qt objects; no SQL in the GUI.
- `models/`: QAbstractListModel adapters over lists of those dataclasses; rows arrive in pages
  (fetchMore) and face thumbnails on demand (`thumbs`), so 100,000 faces cost nothing up front.
- `workers.Task`: long jobs (scan, re-cluster, export, verify of files) in a QThread with
  progress, pause and cancel; `loader.Loader`: background reads whose newest result wins.
  Workers open their own database connection; pixels cross threads as QImage.
- `train_process`: fine-tuning runs in a child process, so torch never loads into the window.
- `qtcompat.emit`: every Python-side signal emit (works around a PySide6 6.12 refcount bug).
- `screenshots` (`faceapp gui --screenshots DIR`) and `stall_bench` (big-library stalls).
"""
