"""faceapp's trainer (PyTorch): make the embedding model the user's own.

Backbones, losses, miners, samplers, data, engine, evaluation and ONNX export. The faceapp package
loads this lazily (it never imports torch at module level); this package may import faceapp.core so
that train and serve share one definition of an aligned crop.
"""
