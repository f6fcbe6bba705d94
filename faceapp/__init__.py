"""faceapp: organise a photo library by the people in it, fully offline."""

import os

# onnxruntime 1.29+ ships Microsoft's 1DS telemetry, on by default in the official Linux/macOS wheels: a device
# id and an event store under ~/.cache/Microsoft, uploads to mobile.events.data.microsoft.com.
# onnxruntime.disable_telemetry_events() does not stop it; this documented switch, read once when onnxruntime
# loads, does (nothing is created or sent). Every faceapp import passes here first, and children inherit it.
# Forced, not defaulted: faceapp promises that nothing leaves the machine. tests/test_offline_native.py checks it.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"

__version__ = "0.1.0"
