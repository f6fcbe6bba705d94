"""The desktop app. The only package that imports PySide6; it calls faceapp.jobs/storage and never
runs SQL or inference in a widget. Long work runs in `workers.Task` threads."""
