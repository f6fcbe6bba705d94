"""What faceapp refuses, as one kind of exception.

A `FaceappError` is a user-facing refusal: the request can't be done as asked (no such person, a
rule of the library, an uncalibrated model), nothing was written, and its message says why in
words a user can act on. The CLI prints it as one line and the GUI shows it in place; any other
exception is a bug and keeps its traceback.
"""

from __future__ import annotations


class FaceappError(Exception):
    """A user-facing refusal: nothing was done, and the message says why."""
