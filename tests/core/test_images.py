import io

import numpy as np
import pytest
from PIL import Image

from faceapp.core import images
from faceapp.core.images import ImageError, decode


def _encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def _gradient(w=64, h=48) -> Image.Image:
    x = np.linspace(0, 255, w, dtype=np.uint8)[None, :, None].repeat(h, 0)
    y = np.linspace(0, 255, h, dtype=np.uint8)[:, None, None].repeat(w, 1)
    return Image.fromarray(np.concatenate([x, y, 255 - x], 2), "RGB")


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "TIFF", "BMP", "GIF", "JPEG"])
def test_formats_decode_to_rgb8(fmt):
    out = decode(_encode(_gradient(), fmt))
    assert out.rgb.shape == (48, 64, 3) and out.rgb.dtype == np.uint8
    assert (out.width, out.height) == (64, 48)


def test_gif_first_frame():
    frames = [Image.new("RGB", (20, 10), c) for c in [(255, 0, 0), (0, 0, 255)]]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    rgb = decode(buf.getvalue()).rgb
    assert rgb[5, 5, 0] > 200 and rgb[5, 5, 2] < 50


def test_modes_grey_cmyk_16bit_alpha():
    grey = decode(_encode(Image.new("L", (8, 8), 100), "PNG")).rgb
    assert (grey == 100).all()
    cmyk = decode(_encode(Image.new("CMYK", (8, 8), (0, 0, 0, 0)), "JPEG")).rgb
    assert cmyk.mean() > 240  # no ink is white
    arr16 = np.full((8, 8), 65535, np.uint16)
    arr16[0, 0] = 0
    rgb16 = decode(_encode(Image.fromarray(arr16), "PNG")).rgb
    assert rgb16[1, 1, 0] == 255 and rgb16[0, 0, 0] == 0
    rgba = Image.new("RGBA", (8, 8), (255, 0, 0, 0))  # fully transparent red over white
    assert (decode(_encode(rgba, "PNG")).rgb == 255).all()


def test_exif_orientation_applied():
    img = _gradient(64, 48)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    exif[0x0132] = "2021:05:04 10:11:12"
    out = decode(_encode(img, "JPEG", exif=exif.tobytes()))
    assert out.rgb.shape[:2] == (64, 48)
    assert (out.width, out.height) == (48, 64)
    assert out.taken_at == "2021-05-04T10:11:12"
    # the left column of the stored image (dark red channel) is now the top row
    assert out.rgb[0, :, 0].mean() < out.rgb[-1, :, 0].mean()


def test_big_jpeg_uses_draft_scale_and_reports_original_size():
    big = _gradient(4000, 3000)
    out = decode(_encode(big, "JPEG", quality=80), max_side=1000)
    assert max(out.rgb.shape[:2]) == 1000
    assert (out.width, out.height) == (4000, 3000)
    assert out.scale == pytest.approx(0.25)


def test_heic_if_supported(tmp_path):
    if not images.HEIF_SUPPORTED:
        pytest.skip("pillow-heif not installed")
    try:
        data = _encode(_gradient(), "HEIF")
    except Exception as exc:  # encoder may be missing from a libheif build
        pytest.skip(f"no HEIF encoder here: {exc}")
    assert decode(data).rgb.shape == (48, 64, 3)


@pytest.mark.parametrize(
    "data,reason",
    [
        (b"", "empty-file"),
        (b"this is a text file, not a photo\n" * 10, "not-an-image"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 50, "corrupt"),
    ],
)
def test_bad_bytes_are_refused_with_reason(data, reason):
    with pytest.raises(ImageError) as err:
        decode(data)
    assert err.value.reason in (reason, "not-an-image", "corrupt")
    if reason == "empty-file":
        assert err.value.reason == "empty-file"


def test_truncated_jpeg_refused():
    data = _encode(_gradient(400, 300), "JPEG")
    with pytest.raises(ImageError) as err:
        decode(data[: len(data) // 2])
    assert err.value.reason == "truncated"


def test_decompression_bomb_refused(monkeypatch):
    monkeypatch.setattr(images, "MAX_PIXELS", 10_000)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)
    with pytest.raises(ImageError) as err:
        decode(_encode(Image.new("L", (1000, 1000)), "PNG"))
    assert err.value.reason == "too-large"


def test_unreadable_file(tmp_path):
    with pytest.raises(ImageError) as err:
        images.load(str(tmp_path / "nope.jpg"))
    assert err.value.reason == "unreadable"


def _png_claiming(width: int, height: int, rows: int = 2) -> bytes:
    """A small 16-bit RGB PNG whose header claims width × height; only a few rows of data follow."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * (rows * (1 + 6 * width)))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize("max_side", [None, 2048])
def test_a_photo_too_big_to_decode_is_refused_from_its_header(monkeypatch, max_side):
    from PIL import ImageFile

    def no_decoding(self):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    data = _png_claiming(14000, 14000)  # 196 Mpixels (under MAX_PIXELS), 4 bytes each once decoded
    assert len(data) < 100_000
    with pytest.raises(ImageError) as err:
        decode(data, max_side=max_side)
    assert err.value.reason == "too-large" and "14000x14000" in err.value.detail


def test_the_decode_budget_takes_family_photos():
    # a 12 MP phone photo, a 50 MP PNG panorama (downscaled as the scan decodes them), a 16-bit scan
    assert images.decode_cost("RGB", 4000, 3000, downscaled=False) < images.DECODE_BUDGET
    assert images.decode_cost("RGBA", 10000, 5000, downscaled=True) < images.DECODE_BUDGET
    assert images.decode_cost("I;16", 8000, 6000, downscaled=True) < images.DECODE_BUDGET
    assert images.decode_cost("RGB", 14000, 14000, downscaled=True) > images.DECODE_BUDGET
    out = decode(_encode(Image.fromarray(np.full((300, 400), 40000, np.uint16)), "PNG"), max_side=100)
    assert out.rgb.shape == (75, 100, 3) and (out.width, out.height) == (400, 300)
    assert abs(int(out.rgb[10, 10, 0]) - round(40000 / 257)) <= 1


def test_a_huge_file_is_read_as_it_is_decoded_never_whole(tmp_path):
    import tracemalloc

    big = tmp_path / "huge.jpg"
    with open(big, "wb") as fh:
        fh.truncate(256 * 2**20)  # sparse: costs no disk
    tracemalloc.start()
    try:
        with pytest.raises(ImageError) as err:
            images.load(str(big), max_side=2048)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert err.value.reason == "not-an-image"
    assert peak < 16 * 2**20


def test_an_empty_file_by_path(tmp_path):
    (tmp_path / "e.jpg").write_bytes(b"")
    with pytest.raises(ImageError) as err:
        images.load(str(tmp_path / "e.jpg"))
    assert err.value.reason == "empty-file"
