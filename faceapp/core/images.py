"""Decode photos for detection: EXIF-aware, reduced decodes for big photos, every odd format refused cleanly.

`decode(..., least_side=N)` decodes as little as gives a long side of at least N: a JPEG through
libjpeg's scaled decode (1/2, 1/4, 1/8: the cheap path), any other format fully and then reduced by
a whole factor (a box filter, several times faster than a resampling resize). Nothing else in Pillow
decodes PNG, WebP, TIFF or HEIC at a reduced size. JPEG (through OpenCV's libjpeg) and HEIC (through
pillow-heif's buffer) go straight into the numpy array, with Pillow's pixels exactly: converting a
Pillow image to an array repacks every pixel, which on a 12 MP photo cost more than the scaled
decode itself (`faceapp bench scan --parts stages` shows where a scan's CPU goes).

A photo that cannot be used raises ImageError with a short machine-readable reason, which the scan
records against the photo before going on.
"""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass
from datetime import datetime

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

try:  # HEIC/HEIF where the optional plugin is installed
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_SUPPORTED = True
except Exception:  # pragma: no cover - optional dependency
    HEIF_SUPPORTED = False

def set_heif_decode_threads(n: int) -> None:
    """Threads libheif may use to decode one HEIC photo (a process-wide setting of pillow-heif)."""
    if HEIF_SUPPORTED:
        pillow_heif.options.DECODE_THREADS = n


# Above this many pixels a file is treated as a decompression bomb and refused.
MAX_PIXELS = 200_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# Memory one photo may take while it is decoded (a scan holds at most one per worker thread). The
# estimate is made from the header, before any pixel is decoded: pixels × bytes per pixel.
DECODE_BUDGET = 600 * 2**20

IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif", ".heic", ".heif"}
)


class ImageError(Exception):
    """A photo that cannot be decoded; `reason` is a short stable code for grouping errors."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass
class LoadedImage:
    rgb: np.ndarray  # H×W×3 uint8, upright, possibly downscaled
    scale: float  # rgb pixels per original pixel (≤ 1)
    width: int  # original upright width
    height: int  # original upright height
    taken_at: str | None  # EXIF DateTimeOriginal as ISO-8601, when present


_EXIF_DATE_TAGS = (36867, 36868, 306)  # DateTimeOriginal, DateTimeDigitized, DateTime


def _exif_date(img: Image.Image) -> str | None:
    try:
        exif = img.getexif()
        values = dict(exif.get_ifd(0x8769))
        values.update(exif)
    except Exception:
        return None
    for tag in _EXIF_DATE_TAGS:
        raw = values.get(tag)
        if isinstance(raw, str):
            try:
                return datetime.strptime(raw.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S").isoformat()
            except ValueError:
                continue
    return None


def _to_rgb8(img: Image.Image) -> Image.Image:
    """Any mode (P, L, LA, RGBA, CMYK, I;16, I, F) to 8-bit RGB, alpha composited on white."""
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.array(img, dtype=np.float32)  # a copy worked on in place: one float per pixel
        hi = float(arr.max()) if arr.size else 0.0
        if mode == "F" and hi <= 1.0:
            arr *= 255.0  # floating point in [0, 1]
        elif mode.startswith("I;16") or hi > 255:
            arr /= 257.0  # 16-bit range to 8-bit
        np.rint(arr, out=arr)
        np.clip(arr, 0, 255, out=arr)
        arr = arr.astype(np.uint8)
        return Image.fromarray(arr, "L").convert("RGB")
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(bg, rgba).convert("RGB")
    if mode != "RGB":
        return img.convert("RGB")
    return img


# EXIF orientation → the turn that makes the image upright (as ImageOps.exif_transpose does it).
_TRANSPOSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
              5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_90}


def _stored_bytes_per_pixel(mode: str) -> int:
    """What Pillow keeps per pixel in memory for a mode (1, L and P take a byte; I;16 two; the rest four)."""
    if mode in ("1", "L", "P"):
        return 1
    return 2 if mode.startswith("I;16") else 4


_PALETTE = ("1", "P", "PA")


def decode_cost(mode: str, width: int, height: int, downscaled: bool) -> int:
    """Bytes decoding a width × height image of this mode takes at its peak. Downscaled early, only
    the decoded image is big (palette and 1-bit images are expanded to RGBA first); at full size the
    pipeline also holds an upright copy and the 8-bit RGB result."""
    b = _stored_bytes_per_pixel(mode)
    per_pixel = (b + 4 if mode in _PALETTE else b) if downscaled else 2 * b + 8
    return width * height * per_pixel


def _check_budget(img: Image.Image, w0: int, h0: int, downscaled: bool) -> None:
    cost = decode_cost(img.mode, img.width, img.height, downscaled)
    if cost > DECODE_BUDGET:
        raise ImageError("too-large", f"{w0}x{h0} pixels ({img.mode}): about {cost // 2**20} MB to decode, "
                                      f"more than the {DECODE_BUDGET // 2**20} MB one photo may take")


# Formats whose decoder can decode at 1/2, 1/4 or 1/8 of the size (Pillow's draft mode).
REDUCED_DECODE_FORMATS = frozenset({"JPEG", "MPO"})
JPEG_FACTORS = (8, 4, 2)


def jpeg_reduction(long_side: int, least_side: int) -> int:
    """The largest factor of libjpeg's scaled decode (8, 4, 2, else 1) that keeps a long side of at
    least least_side (libjpeg rounds the scaled size up)."""
    for d in JPEG_FACTORS:
        if -(-long_side // d) >= least_side:
            return d
    return 1


def box_reduction(long_side: int, least_side: int) -> int:
    """The largest whole factor that keeps a long side of at least least_side (1: none)."""
    return max(1, long_side // max(1, least_side))


def _reduce(img: Image.Image, factor: int) -> Image.Image:
    if img.mode in _PALETTE:  # a palette can't be averaged: its colours first
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    try:
        return img.reduce(factor)
    except ValueError:  # modes reduce() doesn't take (I;16): a resize does the same
        return img.resize((-(-img.width // factor), -(-img.height // factor)), Image.BOX)


def _downscale(img: Image.Image, max_side: int) -> Image.Image:
    if img.mode in _PALETTE:  # resampling a palette picks colours instead of blending them
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    s = max_side / max(img.size)
    return img.resize((max(1, round(img.width * s)), max(1, round(img.height * s))), Image.BILINEAR)


# EXIF orientation → the same turn as _TRANSPOSE, on an array (OpenCV's flips and rotations).
_CV_TURN = {2: ("flip", 1), 3: ("rotate", cv2.ROTATE_180), 4: ("flip", 0), 5: ("transpose", None),
            6: ("rotate", cv2.ROTATE_90_CLOCKWISE), 7: ("transverse", None),
            8: ("rotate", cv2.ROTATE_90_COUNTERCLOCKWISE)}
_CV_REDUCED = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
               8: cv2.IMREAD_REDUCED_COLOR_8}


def _turn(a: np.ndarray, orientation: int) -> np.ndarray:
    kind, code = _CV_TURN.get(orientation, (None, None))
    if kind == "flip":
        return cv2.flip(a, code)
    if kind == "rotate":
        return cv2.rotate(a, code)
    if kind == "transpose":
        return cv2.transpose(a)
    if kind == "transverse":
        return cv2.flip(cv2.transpose(a), -1)
    return a


def _jpeg_pixels(fh, img: Image.Image, size: tuple[int, int], d: int, orientation: int) -> np.ndarray | None:
    """The JPEG's pixels at 1/d through OpenCV's libjpeg straight into an RGB array, upright; None
    where Pillow must decode it instead (CMYK, a file that doesn't end in an EOI marker: Pillow tells
    truncated from complete, a size other than Pillow's). The pixels are Pillow's own (the same
    libjpeg scaled decode, checked in tests/core/test_images_fast.py); what it saves is Pillow's
    RGBX → RGB repacking into numpy, which cost more than the decode itself on phone-size photos."""
    if img.mode not in ("RGB", "L") or d not in _CV_REDUCED:
        return None
    fh.seek(0)
    data = fh.read()
    if not data.rstrip(b"\0").endswith(b"\xff\xd9"):
        return None
    try:
        bgr = cv2.imdecode(np.frombuffer(data, np.uint8), _CV_REDUCED[d] | cv2.IMREAD_IGNORE_ORIENTATION)
    except cv2.error:  # Pillow gives the reason
        return None
    w, h = size  # the stored (not upright) size in full
    if bgr is None or bgr.shape[:2] != (-(-h // d), -(-w // d)):
        return None
    return _turn(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), orientation)


def _heif_pixels(fh, img: Image.Image, factor: int, orientation: int) -> np.ndarray | None:
    """A HEIC/HEIF photo's pixels from libheif straight into an array (whole, or reduced by 2:
    exact 2×2 means, Pillow's reduce(2) to the bit), upright; None where Pillow must decode it
    (alpha, more than 8 bits, another factor, a size 2 doesn't divide, a decoding error). libheif
    has no reduced decode: this saves Pillow's RGBX repacking of the full image (on a 12 MP photo
    about a quarter of the decode's CPU)."""
    if not HEIF_SUPPORTED or img.mode != "RGB":
        return None
    fh.seek(0)
    heif = pillow_heif.open_heif(fh, convert_hdr_to_8bit=True)
    frame = heif[img.tell()] if len(heif) > 1 else heif[0]
    if frame.mode != "RGB" or frame.size != img.size:
        return None
    w, h = frame.size
    if factor not in (1, 2) or w % factor or h % factor:
        return None
    try:
        rgb = np.asarray(frame)  # decodes; the buffer itself, rows padded to libheif's stride
        if rgb.shape != (h, w, 3):
            return None
        if factor > 1:
            rgb = cv2.resize(rgb, (w // factor, h // factor), interpolation=cv2.INTER_AREA)
        return np.ascontiguousarray(_turn(rgb, orientation))
    except (RuntimeError, ValueError, cv2.error):  # Pillow's path gives the reason
        return None


def decode(source: bytes | str | os.PathLike, max_side: int | None = None, *, least_side: int | None = None,
           least_side_full: int | None = None) -> LoadedImage:
    """Decode a photo (its bytes, or a path: then it is read as it is decoded, never whole).

    max_side: the result's long side is at most this (a resampled copy). least_side: the cheapest
    reduced decode whose long side is at least this, not resampled further (a JPEG at 1/2, 1/4 or
    1/8; other formats decoded whole, then reduced by a whole factor to at least least_side_full,
    which defaults to least_side: a caller that may need more pixels later asks formats without a
    reduced decode for them now). A photo whose decoding would take more than DECODE_BUDGET is
    refused from its header, before any pixel is decoded."""
    if max_side and least_side:
        raise ValueError("max_side or least_side, not both")
    least = (least_side, least_side_full or least_side) if least_side else None
    if isinstance(source, bytes | bytearray):
        if not source:
            raise ImageError("empty-file", "zero bytes")
        with io.BytesIO(source) as fh:
            return _decode(fh, max_side, least)
    try:
        fh = open(source, "rb")
    except OSError as exc:
        raise ImageError("unreadable", exc.strerror or str(exc)) from exc
    with fh:
        if os.fstat(fh.fileno()).st_size == 0:
            raise ImageError("empty-file", "zero bytes")
        return _decode(fh, max_side, least)


def _decode(fh, max_side: int | None, least: tuple[int, int] | None = None) -> LoadedImage:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(fh)
            w0, h0 = img.size
            if w0 * h0 > MAX_PIXELS:
                raise ImageError("too-large", f"{w0}x{h0} pixels")
            factor = 1  # a whole-factor reduction after decoding (formats without a reduced decode)
            d = 1  # libjpeg's scale
            if least and img.format in REDUCED_DECODE_FORMATS:
                d = jpeg_reduction(max(w0, h0), least[0])
                if d > 1:  # libjpeg picks the largest scale with both sides at least the asked size
                    img.draft("RGB", (w0 // d, h0 // d))
            elif least:
                factor = box_reduction(max(w0, h0), least[1])
            elif max_side and img.format in REDUCED_DECODE_FORMATS and max(w0, h0) > max_side:
                # Let libjpeg decode at 1/2, 1/4 or 1/8 scale: much less work for big photos.
                img.draft("RGB", (max_side, max_side))
            shrink = factor > 1 or bool(max_side and max(img.size) > max_side)
            _check_budget(img, w0, h0, shrink)  # before EXIF too: a PNG decodes itself to find its eXIf
            taken = _exif_date(img)
            orientation = exif_orientation(img)
            upright_w, upright_h = (h0, w0) if orientation in (5, 6, 7, 8) else (w0, h0)
            if getattr(img, "n_frames", 1) > 1:
                img.seek(0)
            fast = None  # straight into an array, where the format and the ask allow
            if img.format == "JPEG" and not shrink and (least or not max_side):
                fast = _jpeg_pixels(fh, img, (w0, h0), d, orientation)
            elif img.format == "HEIF" and not max_side:
                fast = _heif_pixels(fh, img, factor, orientation)
            if fast is not None:
                return LoadedImage(fast, fast.shape[1] / upright_w, upright_w, upright_h, taken)
            img.load()
            if factor > 1:  # before turning and converting, so only the decoded image is full size
                img = _reduce(img, factor)
            elif shrink:
                img = _downscale(img, max_side)
            if orientation in _TRANSPOSE:  # from the header's tag: a resized copy has no EXIF of its own
                img = img.transpose(_TRANSPOSE[orientation])
            img = _to_rgb8(img)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError("too-large", str(exc)) from exc
    except UnidentifiedImageError as exc:
        raise ImageError("not-an-image", "unrecognised format") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        msg = str(exc)
        reason = "truncated" if "truncated" in msg or "end of file" in msg.lower() else "corrupt"
        raise ImageError(reason, msg) from exc
    except MemoryError as exc:
        raise ImageError("too-large", "out of memory while decoding") from exc
    if max_side and max(img.size) > max_side:
        s = max_side / max(img.size)
        img = img.resize((max(1, round(img.width * s)), max(1, round(img.height * s))), Image.BILINEAR)
    rgb = np.asarray(img, dtype=np.uint8)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or min(rgb.shape[:2]) < 1:
        raise ImageError("corrupt", f"unexpected pixel layout {rgb.shape}")
    return LoadedImage(
        rgb=np.ascontiguousarray(rgb),
        scale=rgb.shape[1] / upright_w,
        width=upright_w,
        height=upright_h,
        taken_at=taken,
    )


def load(path: str, max_side: int | None = None) -> LoadedImage:
    """Read and decode a file; unreadable files become ImageError('unreadable')."""
    return decode(path, max_side)


def exif_orientation(img: Image.Image) -> int:
    """The EXIF orientation 1–8 as Pillow's exif_transpose reads it (anything else: 1, not turned)."""
    o = img.getexif().get(0x0112, 1) if hasattr(img, "getexif") else 1
    return o if isinstance(o, int) and 1 <= o <= 8 else 1


def orientation_of(path: str) -> tuple[int, tuple[int, int]]:
    """(EXIF orientation, upright (width, height)) from the file's header only; raises OSError or
    ImageError when the file can't be opened as an image."""
    try:
        with Image.open(path) as img:
            o = exif_orientation(img)
            w, h = img.size
    except UnidentifiedImageError as exc:
        raise ImageError("not-an-image", "unrecognised format") from exc
    except (SyntaxError, ValueError, EOFError) as exc:
        raise ImageError("corrupt", str(exc)) from exc
    return o, ((h, w) if o in (5, 6, 7, 8) else (w, h))
