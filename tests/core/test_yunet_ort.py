"""YuNet through onnxruntime finds the same faces as OpenCV's FaceDetectorYN on the same weights."""

import cv2
import numpy as np
import pytest

from faceapp import paths
from faceapp.core.detect import DetectorSettings, YuNetDetector, create_detector
from faceapp.core.images import decode
from faceapp.core.yunet_ort import YuNetOnnx

PHOTOS = sorted(paths.SAMPLE_ALBUM.glob("*.jpg"))


def _images():
    for p in PHOTOS[:10]:
        yield decode(p.read_bytes()).rgb
    img = decode(PHOTOS[0].read_bytes()).rgb
    # sizes that are not multiples of 32, and one larger than the detection size (downscaled first)
    yield cv2.resize(img, (333, 517))
    yield cv2.resize(img, (901, 700))
    yield np.ascontiguousarray(np.concatenate([img, img[:, ::-1]], axis=1))  # two faces side by side


def test_default_detector_is_the_onnxruntime_yunet():
    assert isinstance(create_detector(DetectorSettings(), paths.YUNET), YuNetOnnx)
    opencv = create_detector(DetectorSettings(extra={"backend": "opencv"}), paths.YUNET)
    assert isinstance(opencv, YuNetDetector)


@pytest.mark.parametrize("long_side", [640, 320])
def test_same_faces_boxes_and_landmarks_as_opencv(long_side):
    settings = DetectorSettings(long_side=long_side)
    ours, ref = YuNetOnnx(paths.YUNET_ORT, settings), YuNetDetector(paths.YUNET, settings)
    total = 0
    for img in _images():
        a, b = ours.detect(img), ref.detect(img)
        assert len(a) == len(b)
        for x, y in zip(a, b):
            np.testing.assert_allclose(x.box, y.box, atol=0.5)
            np.testing.assert_allclose(x.landmarks, y.landmarks, atol=0.5)
            assert abs(x.score - y.score) < 1e-3
        total += len(a)
    assert total >= 13  # every sample photo has a face, the side-by-side image two


def test_blank_image_gives_no_faces():
    det = YuNetOnnx(paths.YUNET_ORT, DetectorSettings())
    assert det.detect(np.zeros((240, 320, 3), np.uint8)) == []
