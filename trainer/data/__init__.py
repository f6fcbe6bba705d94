"""Training data: face sets from labeled albums, from the app's library, or from aligned crops."""

from trainer.data.faceset import FaceSet, load_aligned_folders

__all__ = ["FaceSet", "load_aligned_folders"]
