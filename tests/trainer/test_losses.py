"""Each loss against an independent float64 brute-force loop on tiny hand-built embeddings, the
limiting cases, finite gradients, and zero (not NaN) where a batch has nothing to learn from."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from trainer.losses import LOSSES, build_loss
from trainer.losses.adacos import fixed_scale
from trainer.losses.sphereface import psi

D, C = 6, 4


@pytest.fixture
def batch() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(3)
    x = torch.randn(8, D, generator=g, dtype=torch.float64) * 2.0
    y = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])
    return x, y


def _unit(v: np.ndarray) -> np.ndarray:
    return v / math.sqrt(sum(a * a for a in v))


def _ce(logits: list[float], y: int) -> float:
    m = max(logits)
    return -(logits[y] - m - math.log(sum(math.exp(v - m) for v in logits)))


def _cos_table(x: np.ndarray, w: np.ndarray) -> list[list[float]]:
    return [[float(_unit(xi) @ _unit(wj)) for wj in w] for xi in x]


def _run(name: str, x: torch.Tensor, y: torch.Tensor, **kw) -> tuple[torch.nn.Module, float]:  # noqa: ANN003
    loss = build_loss(name, D, C, **kw).double().eval()
    with torch.no_grad():
        return loss, float(loss(x, y))


@pytest.mark.parametrize("s,m", [(64.0, 0.35), (10.0, 0.2)])
def test_cosface_matches_loop(batch, s, m) -> None:
    x, y = batch
    loss, got = _run("cosface", x, y, s=s, m=m)
    w = loss.head.weight.detach().numpy()
    rows = _cos_table(x.numpy(), w)
    want = sum(_ce([s * (c - m if j == y[i] else c) for j, c in enumerate(r)], int(y[i])) for i, r in enumerate(rows)) / 8
    assert got == pytest.approx(want, rel=1e-9)


@pytest.mark.parametrize("m,easy", [(0.5, False), (0.5, True), (1.2, False)])
def test_arcface_matches_loop(batch, m, easy) -> None:
    x, y = batch
    s = 16.0
    loss, got = _run("arcface", x, y, s=s, m=m, easy_margin=easy)
    w = loss.head.weight.detach().numpy()

    def target(c: float) -> float:
        th = math.acos(c)
        if easy:
            return math.cos(th + m) if c > 0 else c
        return math.cos(th + m) if th + m <= math.pi else c - m * math.sin(m)

    rows = _cos_table(x.numpy(), w)
    want = sum(_ce([s * (target(c) if j == y[i] else c) for j, c in enumerate(r)], int(y[i])) for i, r in enumerate(rows)) / 8
    assert got == pytest.approx(want, rel=1e-7)


def test_margin_zero_is_normsoftmax(batch) -> None:
    x, y = batch
    ref = build_loss("normsoftmax", D, C, s=30.0).double()
    for name in ("arcface", "cosface"):
        loss = build_loss(name, D, C, s=30.0, m=0.0).double()
        loss.head.load_state_dict(ref.head.state_dict())
        assert float(loss(x, y)) == pytest.approx(float(ref(x, y)), rel=1e-10)


def test_softmax_matches_loop(batch) -> None:
    x, y = batch
    loss, got = _run("softmax", x, y)
    w, b = loss.fc.weight.detach().numpy(), loss.fc.bias.detach().numpy()
    want = sum(_ce([float(x[i].numpy() @ w[j] + b[j]) for j in range(C)], int(y[i])) for i in range(8)) / 8
    assert got == pytest.approx(want, rel=1e-10)


def test_sphereface_matches_loop_and_anneals(batch) -> None:
    x, y = batch
    loss = build_loss("sphereface", D, C, m=4).double().eval()
    lam = loss.lam
    assert lam == 1000.0
    w = loss.head.weight.detach().numpy()

    def psi_ref(t: float) -> float:
        k = min(int(t * 4 / math.pi), 3)
        return (-1) ** k * math.cos(4 * t) - 2 * k

    total = 0.0
    for i, r in enumerate(_cos_table(x.numpy(), w)):
        n = float(np.linalg.norm(x[i].numpy()))
        logits = [n * c for c in r]
        logits[y[i]] = n * (lam * r[y[i]] + psi_ref(math.acos(r[y[i]]))) / (1 + lam)
        total += _ce(logits, int(y[i]))
    assert float(loss(x, y)) == pytest.approx(total / 8, rel=1e-6)
    loss.train()
    for _ in range(10000):
        loss.iteration += 1
    assert loss.lam == 5.0  # annealed down to λ_min


def test_psi_continuous_and_decreasing() -> None:
    t = torch.linspace(0, math.pi, 20001, dtype=torch.float64)
    v = psi(t, 4)
    assert torch.all(v[1:] <= v[:-1] + 1e-12)
    assert float((v[1:] - v[:-1]).abs().max()) < 1e-2  # no jumps at kπ/m
    assert float(v[0]) == pytest.approx(1.0) and float(v[-1]) == pytest.approx(-7.0)


def test_adacos_fixed_scale_and_dynamic_update(batch) -> None:
    x, y = batch
    assert fixed_scale(C) == pytest.approx(math.sqrt(2) * math.log(C - 1))
    loss = build_loss("adacos", D, C, dynamic=False).double()
    assert float(loss.s) == pytest.approx(math.sqrt(2) * math.log(3))
    dyn = build_loss("adacos", D, C).double().train()
    s0 = float(dyn.s)
    rows = _cos_table(x.numpy(), dyn.head.weight.detach().numpy())
    b_avg = np.mean([sum(math.exp(s0 * c) for j, c in enumerate(r) if j != y[i]) for i, r in enumerate(rows)])
    med = float(torch.tensor([math.acos(r[y[i]]) for i, r in enumerate(rows)], dtype=torch.float64).median())
    want_s = math.log(b_avg) / math.cos(min(math.pi / 4, med))
    got = float(dyn(x, y))
    assert float(dyn.s) == pytest.approx(want_s, rel=1e-9)
    want = sum(_ce([want_s * c for c in r], int(y[i])) for i, r in enumerate(rows)) / 8
    assert got == pytest.approx(want, rel=1e-9)


def test_center_loss_value_and_paper_update(batch) -> None:
    x, y = batch
    loss = build_loss("center", D, C, lam=0.1, alpha=0.5).double()
    c0 = torch.randn(C, D, dtype=torch.float64)
    loss.centres.copy_(c0)
    soft = float(loss.softmax(x, y))
    centre_term = sum(0.5 * float(((x[i] - c0[y[i]]) ** 2).sum()) for i in range(8)) / 8
    assert float(loss(x, y)) == pytest.approx(soft + 0.1 * centre_term, rel=1e-10)
    for j in range(C):
        members = [i for i in range(8) if y[i] == j]
        delta = sum((c0[j] - x[i]) for i in members) / (1 + len(members))
        assert torch.allclose(loss.centres[j], c0[j] - 0.5 * delta)
    assert not loss.centres.requires_grad


def test_contrastive_matches_loop(batch) -> None:
    x, y = batch
    m = 1.2
    got = float(build_loss("contrastive", D, C, m=m)(x, y))
    xn = [_unit(v) for v in x.numpy()]
    pos, neg = [], []
    for i in range(8):
        for j in range(i + 1, 8):
            d = float(np.linalg.norm(xn[i] - xn[j]))
            (pos if y[i] == y[j] else neg).append(0.5 * d * d if y[i] == y[j] else 0.5 * max(0.0, m - d) ** 2)
    assert got == pytest.approx(np.mean(pos) + np.mean(neg), rel=1e-6)


@pytest.mark.parametrize("miner", ["all", "batch_hard", "semi_hard"])
def test_triplet_matches_loop(batch, miner) -> None:
    x, y = batch
    a = 0.3
    got = float(build_loss("triplet", D, C, margin=a, miner=miner)(x, y))
    xn = [_unit(v) for v in x.numpy()]

    def d2(i: int, j: int) -> float:
        return float(((xn[i] - xn[j]) ** 2).sum())

    terms = []
    for i in range(8):
        ps = [j for j in range(8) if j != i and y[j] == y[i]]
        ns = [j for j in range(8) if y[j] != y[i]]
        if miner == "batch_hard":
            terms.append(max(0.0, max(d2(i, p) for p in ps) - min(d2(i, n) for n in ns) + a))
            continue
        for p in ps:
            for n in ns:
                if miner == "all" or d2(i, p) < d2(i, n) < d2(i, p) + a:
                    terms.append(max(0.0, d2(i, p) - d2(i, n) + a))
    assert got == pytest.approx(np.mean(terms) if terms else 0.0, rel=1e-5, abs=1e-7)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_finite_gradients(batch, name) -> None:
    x, y = batch
    x = x.float().clone().requires_grad_(True)
    loss = build_loss(name, D, C).train()
    v = loss(x, y)
    v.backward()
    assert v.dim() == 0 and torch.isfinite(v)
    assert torch.isfinite(x.grad).all()


@pytest.mark.parametrize("name,kw", [("contrastive", {}), ("triplet", {"miner": "all"}),
                                     ("triplet", {"miner": "semi_hard"}), ("triplet", {"miner": "batch_hard"})])
def test_no_valid_pair_is_zero_not_nan(name, kw) -> None:
    x = torch.randn(4, D, requires_grad=True)
    y = torch.tensor([0, 1, 2, 3])  # nobody has a positive
    v = build_loss(name, D, C, **kw)(x, y)
    v.backward()
    if name == "contrastive":  # negatives alone still give a (finite) value
        assert torch.isfinite(v)
    else:
        assert float(v) == 0.0
    assert torch.isfinite(x.grad).all()
    same = torch.zeros(3, dtype=torch.long)  # nobody has a negative
    x2 = torch.randn(3, D, requires_grad=True)
    v2 = build_loss(name, D, C, **kw)(x2, same)
    v2.backward()
    assert torch.isfinite(v2) and torch.isfinite(x2.grad).all()


def test_unknown_loss_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown loss"):
        build_loss("magic", D, C)


def test_the_catalogue_names_every_loss_the_trainer_builds():
    """One list of losses (faceapp.loss_catalogue) for the CLI, the GUI and the trainer."""
    from faceapp import loss_catalogue as cat
    from faceapp.cli.train_cmds import LOSS_NAMES
    from trainer.bench import DEFAULT_LOSSES
    from trainer.config import TrainConfig
    from trainer.losses import LOSSES, PAIR_LOSSES

    assert set(cat.NAMES) == set(LOSSES) == set(LOSS_NAMES) == set(DEFAULT_LOSSES)
    assert TrainConfig().loss == cat.DEFAULT == cat.NAMES[0]
    assert PAIR_LOSSES == {"triplet", "contrastive"} == set(cat.PAIR_LOSSES)
    assert all(loss.plain and loss.technical and loss.title for loss in cat.CATALOGUE)
    assert cat.describe("ArcFace").name == "arcface"
