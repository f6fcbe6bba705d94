"""The dev/test halves of `faceapp eval clusters --people`: deterministic, disjoint, covering."""

import pytest

from faceapp.jobs.labeled import people_half


def test_halves_alternate_sorted_names_and_split_everyone():
    names = ["carol", "alice", "bob", "dave", "alice", "erin"]
    dev, test = people_half(names, "dev"), people_half(names, "test")
    assert dev == {"alice", "carol", "erin"} and test == {"bob", "dave"}
    assert dev | test == people_half(names, "all") and not dev & test
    assert people_half(list(reversed(names)), "dev") == dev  # order of discovery does not matter


def test_unknown_half_is_refused():
    with pytest.raises(ValueError):
        people_half(["a"], "train")
