"""The JPEG pixel path through OpenCV gives Pillow's pixels exactly: every EXIF turn, every libjpeg
scale, grey photos; the files it can't take (CMYK, truncated) go to Pillow as before."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from faceapp.core import images
from faceapp.core.images import ImageError, decode


def _photo(w: int = 203, h: int = 117, mode: str = "RGB", orientation: int = 1) -> bytes:
    rng = np.random.default_rng(w * h)
    yy, xx = np.mgrid[0:h, 0:w]
    arr = np.stack([xx * 255 // w, yy * 255 // h, (xx + yy) % 256], -1).astype(np.uint8)
    arr = np.clip(arr.astype(int) + rng.integers(-20, 20, arr.shape), 0, 255).astype(np.uint8)
    img = Image.fromarray(arr).convert(mode)
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90, exif=exif.tobytes())
    return buf.getvalue()


def _pillow(data: bytes, monkeypatch, **kw) -> images.LoadedImage:
    with monkeypatch.context() as m:
        m.setattr(images, "_jpeg_pixels", lambda *a: None)  # the Pillow path only
        return decode(data, **kw)


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("least", [None, 100, 50, 26])  # full, 1/2, 1/4, 1/8 of 203 px
def test_same_pixels_as_pillow(orientation, least, monkeypatch):
    data = _photo(orientation=orientation)
    used = []
    real = images._jpeg_pixels
    monkeypatch.setattr(images, "_jpeg_pixels", lambda *a: used.append(real(*a)) or used[-1])
    fast = decode(data, least_side=least) if least else decode(data)
    assert used and used[0] is not None, "the OpenCV path did not decode it"
    slow = _pillow(data, monkeypatch, least_side=least) if least else _pillow(data, monkeypatch)
    assert fast.rgb.dtype == np.uint8 and fast.rgb.flags.c_contiguous
    assert fast.rgb.shape == slow.rgb.shape
    assert np.array_equal(fast.rgb, slow.rgb)
    assert (fast.width, fast.height, fast.scale) == (slow.width, slow.height, slow.scale)


def test_grey_jpeg_same_as_pillow(monkeypatch):
    data = _photo(mode="L")
    assert images._jpeg_pixels(io.BytesIO(data), Image.open(io.BytesIO(data)), (203, 117), 2, 1) is not None
    assert np.array_equal(decode(data, least_side=100).rgb, _pillow(data, monkeypatch, least_side=100).rgb)


def test_cmyk_and_truncated_go_to_pillow():
    cmyk = _photo(mode="CMYK")
    assert images._jpeg_pixels(io.BytesIO(cmyk), Image.open(io.BytesIO(cmyk)), (203, 117), 1, 1) is None
    assert decode(cmyk).rgb.shape == (117, 203, 3)
    data = _photo(1200, 900)
    cut = data[: len(data) * 2 // 3]
    assert images._jpeg_pixels(io.BytesIO(cut), Image.open(io.BytesIO(cut)), (1200, 900), 2, 1) is None
    with pytest.raises(ImageError) as err:
        decode(cut, least_side=500)
    assert err.value.reason == "truncated"


def _heic(w: int, h: int, orientation: int = 1) -> bytes:
    yy, xx = np.mgrid[0:h, 0:w]
    arr = np.stack([xx * 255 // w, yy * 255 // h, (xx * 7 + yy * 3) % 256], -1).astype(np.uint8)
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "HEIF", quality=90, exif=exif.tobytes())
    return buf.getvalue()


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
@pytest.mark.parametrize("least", [None, 64])  # whole, reduced by 2
def test_heic_same_pixels_as_pillow(orientation, least, monkeypatch):
    if not images.HEIF_SUPPORTED:
        pytest.skip("pillow-heif is not installed")
    data = _heic(132, 96, orientation)
    used = []
    real = images._heif_pixels
    monkeypatch.setattr(images, "_heif_pixels", lambda *a: used.append(real(*a)) or used[-1])
    fast = decode(data, least_side=least) if least else decode(data)
    assert used and used[0] is not None, "the libheif-to-array path did not decode it"
    with monkeypatch.context() as m:
        m.setattr(images, "_heif_pixels", lambda *a: None)
        slow = decode(data, least_side=least) if least else decode(data)
    assert fast.rgb.flags.c_contiguous and fast.rgb.shape == slow.rgb.shape
    assert np.array_equal(fast.rgb, slow.rgb)
    assert (fast.width, fast.height, fast.scale) == (slow.width, slow.height, slow.scale)


def test_heic_other_factors_and_odd_sizes_go_to_pillow():
    if not images.HEIF_SUPPORTED:
        pytest.skip("pillow-heif is not installed")
    data = _heic(130, 97)
    assert images._heif_pixels(io.BytesIO(data), Image.open(io.BytesIO(data)), 2, 1) is None
    assert images._heif_pixels(io.BytesIO(data), Image.open(io.BytesIO(data)), 3, 1) is None
    assert decode(data, least_side=64).rgb.shape == (49, 65, 3)  # Pillow's reduce: ceil(97 / 2)
    assert decode(data, least_side=40).rgb.shape == (33, 44, 3)
