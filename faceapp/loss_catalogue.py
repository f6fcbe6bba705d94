"""The training losses by name, in words: one torch-free list for the CLI, the GUI and the trainer.

The trainer maps each name to its module (trainer.losses.LOSSES, checked against this list by
tests/trainer/test_losses.py); the CLI offers these names; the GUI shows `title` and `plain`, with
`technical` as the tooltip. The first entry is the default: the largest gain on the user's people
while strangers are recognised as before (`faceapp bench losses`, seeds 0 and 1, one-SE selection).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LossInfo:
    name: str
    title: str  # the name a user sees in the list
    plain: str  # what it does, for someone who has never trained a model
    technical: str  # the exact terms, one sentence (the GUI's tooltip)
    pairs: bool = False  # learns from pairs/triplets inside a batch (wants P×K batches)


CATALOGUE: tuple[LossInfo, ...] = (
    LossInfo('adacos', 'Self-tuning (recommended)',
             'Adjusts itself while it learns: the safest choice, and the one that gained most in our tests.',
             'A cosine loss that tunes its own scale while it trains: the fewest knobs, and the default (the largest gain on your people while strangers are recognised as before).'),
    LossInfo('arcface', 'Keep people well apart',
             'Learns to keep different people clearly apart: nearly as good as the recommended way.',
             "Adds a margin to the angle between a face and its person (insightface's default): a close second."),
    LossInfo('cosface', 'Keep people apart, steady',
             'Keeps different people apart by a fixed amount: simple and steady.',
             'Subtracts a fixed margin from the cosine to the right person: simple, stable, widely used.'),
    LossInfo('sphereface', 'Keep people far apart',
             'Pushes different people far apart; may fail to learn from a small library.',
             'Multiplies the angle to the right person (A-Softmax): a strong margin, but harder to train.'),
    LossInfo('normsoftmax', 'Compare by direction',
             'Compares faces by their direction only: a sturdy, plain choice.',
             'Softmax on normalised faces and weights: compares by angle only, a sturdy baseline.'),
    LossInfo('softmax', 'Plain',
             'The plainest way: tells your named people apart with no extra room between them.',
             'A plain classifier with cross-entropy: the baseline, with no margin between people.'),
    LossInfo('center', 'Tight groups',
             "Draws each person's faces closer together, so their groups get tighter.",
             "Pulls each face towards its person's centre while a classifier keeps people apart: tighter groups."),
    LossInfo('triplet', 'Threes of faces',
             'Learns from threes: a face, another of the same person, and someone else.',
             'A face must be closer to another of the same person than to anyone else, by a margin (FaceNet).', pairs=True),
    LossInfo('contrastive', 'Pairs of faces',
             'Learns from pairs: the same person closer, different people further apart.',
             'Pulls pairs of one person together and pushes different people beyond a margin.', pairs=True),
)

DEFAULT = CATALOGUE[0].name
NAMES: tuple[str, ...] = tuple(loss.name for loss in CATALOGUE)
PAIR_LOSSES: frozenset[str] = frozenset(loss.name for loss in CATALOGUE if loss.pairs)


def describe(name: str) -> LossInfo:
    for loss in CATALOGUE:
        if loss.name == name.lower():
            return loss
    raise KeyError(f"unknown loss {name!r}; choose from {', '.join(NAMES)}")
