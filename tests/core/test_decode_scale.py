"""Decoding only what the scan needs: the reduced-decode scale, the second decode for small faces,
and faces reported in original-photo coordinates whatever scale they were found and aligned at."""

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from faceapp.core import images
from faceapp.core.align import align_face
from faceapp.core.analyze import ALIGN_MIN_FACE, align_long_side, analyze
from faceapp.core.detect import Detection, DetectorSettings
from faceapp.core.images import ImageError, box_reduction, decode, jpeg_reduction

# Five landmark dots, each its own colour, so a stub detector can find them in any decode.
COLOURS = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255), (255, 255, 0)]


@pytest.mark.parametrize("long_side,least,factor", [
    (4032, 640, 4), (4032, 1008, 4), (4032, 1009, 2), (4032, 4032, 1), (5120, 640, 8), (500, 640, 1),
    (4031, 504, 8),  # libjpeg rounds up: 4031 / 8 decodes to 504 pixels
])
def test_jpeg_reduction_is_the_largest_that_keeps_the_size(long_side, least, factor):
    assert jpeg_reduction(long_side, least) == factor


def test_box_reduction_is_whole_and_keeps_the_size():
    assert box_reduction(4032, 2048) == 1
    assert box_reduction(8000, 2048) == 3
    assert box_reduction(300, 2048) == 1
    assert all(-(-n // box_reduction(n, 640)) >= 640 for n in range(640, 9000, 37))


def test_align_long_side_only_when_a_face_is_small_at_the_decoded_scale():
    assert align_long_side([], 4032, 3024, 0.25) is None
    assert align_long_side([1000.0], 4032, 3024, 0.25) is None  # 250 px at 1/4: enough
    side = align_long_side([1000.0, 400.0], 4032, 3024, 0.25)  # the small one has 100 px at 1/4
    assert side == int(np.ceil(ALIGN_MIN_FACE / 400 * 4032)) and jpeg_reduction(4032, side) == 2
    assert align_long_side([50.0], 4032, 3024, 0.25) == 4032  # smaller than a crop anywhere: in full
    assert align_long_side([50.0], 800, 600, 1.0) is None  # already decoded in full


def _encode(img: Image.Image, fmt: str = "JPEG", **kw) -> bytes:
    buf = io.BytesIO()
    if fmt == "JPEG":
        kw = {"quality": 95, "subsampling": 0, **kw}
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def _photo(w: int, h: int, landmarks: np.ndarray, radius: float) -> Image.Image:
    """A textured background with five coloured dots at the landmarks (upright coordinates)."""
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 60, (h // 16 + 1, w // 16 + 1, 3), dtype=np.uint8)
    img = Image.fromarray(noise, "RGB").resize((w, h), Image.BILINEAR)
    draw = ImageDraw.Draw(img)
    for (x, y), c in zip(landmarks, COLOURS):
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=c)
    return img


class DotDetector:
    """Finds the five dots in whatever pixels it is given (so it sees only what the decode gave)."""

    def __init__(self):
        self.seen: list[tuple[int, int]] = []

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        self.seen.append(rgb.shape[:2])
        hi = rgb > 160
        pts = []
        for c in COLOURS:
            want = np.array(c) > 0
            ys, xs = np.nonzero((hi == want).all(2))
            if len(xs) == 0:
                return []
            pts.append((xs.mean(), ys.mean()))
        lm = np.array(pts, float)
        eye = np.linalg.norm(lm[1] - lm[0])
        x0, y0 = lm.min(0) - eye * 0.5
        return [Detection(np.array([x0, y0, 2 * eye, 2 * eye]), lm, 0.99)]


def _landmarks(cx: float, cy: float, eye: float) -> np.ndarray:
    return np.array([[cx - eye / 2, cy], [cx + eye / 2, cy], [cx, cy + eye * 0.4],
                     [cx - eye * 0.4, cy + eye * 0.8], [cx + eye * 0.4, cy + eye * 0.8]])


def test_a_big_face_is_found_and_aligned_from_one_reduced_decode():
    w, h = 2600, 1950
    lm = _landmarks(1200, 800, 300)  # box 600 px: 300 px at 1/2
    photo = _photo(w, h, lm, 30)
    det = DotDetector()
    a = analyze(_encode(photo), det, DetectorSettings())
    assert det.seen == [(975, 1300)]  # 1/2: twice the detector's 640 px, not the full photo
    assert a.decoded_sides == [1300]
    assert (a.width, a.height) == (w, h)
    (face,) = a.faces
    assert np.abs(face.detection.landmarks - lm).max() < 6  # original-photo pixels
    assert face.detection.box[2] == pytest.approx(600, abs=12)
    ref = align_face(np.asarray(photo), lm)
    assert np.abs(face.crop.astype(int) - ref).mean() < 12


def test_a_small_face_is_aligned_from_a_second_larger_decode():
    w, h = 2600, 1950
    lm = _landmarks(700, 1200, 80)  # box 160 px: 80 px at 1/2, so aligned from the full decode
    photo = _photo(w, h, lm, 12)
    a = analyze(_encode(photo), DotDetector(), DetectorSettings())
    assert a.decoded_sides == [1300, 2600]
    (face,) = a.faces
    assert np.abs(face.detection.landmarks - lm).max() < 6
    ref = align_face(np.asarray(photo), lm)
    assert np.abs(face.crop.astype(int) - ref).mean() < 12


def test_exif_orientation_is_applied_to_reduced_decodes_and_coordinates():
    w, h = 1950, 2600  # upright portrait, stored as landscape with orientation 6 (turn 90° clockwise)
    lm = _landmarks(900, 1500, 80)
    upright = _photo(w, h, lm, 12)
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # what a camera held upright writes
    exif = Image.Exif()
    exif[0x0112] = 6
    data = _encode(stored, exif=exif.tobytes())
    small = decode(data, least_side=640)
    assert small.rgb.shape[:2] == (650, 488) and (small.width, small.height) == (w, h)
    a = analyze(data, DotDetector(), DetectorSettings())
    assert (a.width, a.height) == (w, h) and a.decoded_sides == [1300, 2600]
    (face,) = a.faces
    assert np.abs(face.detection.landmarks - lm).max() < 6


def test_formats_without_a_reduced_decode_are_decoded_once_and_box_reduced():
    w, h = 1300, 975
    lm = _landmarks(350, 600, 75)
    data = _encode(_photo(w, h, lm, 8), "PNG", compress_level=1)
    out = decode(data, least_side=640)
    assert out.rgb.shape[:2] == (488, 650) and out.scale == pytest.approx(0.5)
    a = analyze(data, DotDetector(), DetectorSettings())
    assert a.decoded_sides == [1300]  # kept at >= 2048 long side (here: whole): no second full decode
    assert np.abs(a.faces[0].detection.landmarks - lm).max() < 6


def test_a_palette_image_is_reduced_by_its_colours():
    img = Image.new("P", (1000, 800))
    img.putpalette([0, 0, 0, 250, 10, 10] + [0] * 762)
    ImageDraw.Draw(img).rectangle((0, 0, 499, 799), fill=1)
    out = decode(_encode(img, "PNG"), least_side=200)
    assert out.rgb.shape == (160, 200, 3)  # reduced by 5: the largest whole factor keeping 200 px
    assert tuple(out.rgb[80, 40]) == (250, 10, 10) and tuple(out.rgb[80, 160]) == (0, 0, 0)


def test_reduced_decodes_keep_the_decode_budget(monkeypatch):
    from PIL import ImageFile

    def no_decoding(self):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    from tests.core.test_images import _png_claiming

    with pytest.raises(ImageError) as err:  # a PNG has no reduced decode: its full size counts
        decode(_png_claiming(14000, 14000), least_side=640)
    assert err.value.reason == "too-large"


def test_a_jpeg_decoded_at_an_eighth_fits_the_budget_its_full_size_would_not(monkeypatch):
    monkeypatch.setattr(images, "DECODE_BUDGET", 2_000_000)  # 2400 × 1800 RGB needs far more in full
    data = _encode(Image.new("RGB", (2400, 1800), (90, 20, 20)))
    with pytest.raises(ImageError):
        decode(data)
    out = decode(data, least_side=300)
    assert out.rgb.shape == (225, 300, 3)


def test_max_side_and_least_side_are_not_both_given():
    with pytest.raises(ValueError):
        decode(b"x", max_side=100, least_side=100)
