import numpy as np

from faceapp.core.scrfd import decode_outputs


def test_decodes_one_face_per_stride_layout_and_suppresses_duplicates():
    size = 64
    outs = []
    for stride in (8, 16, 32):
        cells = (size // stride) ** 2 * 2
        outs.append(np.zeros((cells, 1), np.float32))
    boxes = [np.zeros(((size // s) ** 2 * 2, 4), np.float32) for s in (8, 16, 32)]
    kps = [np.zeros(((size // s) ** 2 * 2, 10), np.float32) for s in (8, 16, 32)]
    # stride 8, cell (x=2, y=3) → centre (16, 24); both anchors fire (a duplicate for NMS)
    idx = (3 * (size // 8) + 2) * 2
    for a in (0, 1):
        outs[0][idx + a] = 0.9 - 0.1 * a
        boxes[0][idx + a] = [1, 1, 1, 2]  # left, top, right, bottom in stride units
        kps[0][idx + a] = [0, 0] * 5
    dets = decode_outputs(outs[::-1] + boxes + kps, size, score_threshold=0.5, nms_threshold=0.4)
    assert len(dets) == 1
    d = dets[0]
    np.testing.assert_allclose(d.box, [8, 16, 16, 24])
    np.testing.assert_allclose(d.landmarks, np.tile([16, 24], (5, 1)))
    assert abs(d.score - 0.9) < 1e-6
    assert decode_outputs(outs + boxes + kps, size, 0.95, 0.4) == []
