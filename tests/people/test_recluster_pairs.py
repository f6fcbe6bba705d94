"""Re-clustering reads the model's FAR curve: real two-face people stay people."""

from __future__ import annotations

from faceapp.jobs import people
from faceapp.jobs.models import shipped_calibration
from faceapp.jobs.recluster import model_far_curve


def test_recluster_reads_the_shipped_far_curve(db):
    curve = model_far_curve(db)
    assert curve and curve == [[float(f), float(t)] for f, t in shipped_calibration("sface-2021dec")["far_curve"]]


def test_people_seen_twice_stay_people(db, make_lib):
    lib = make_lib(people=6, per=2, seed=5, group_photos=0)
    st = people.recluster(db)
    assert st.unsorted == 0 and st.people_new == 6
    for label in range(6):
        a, b = lib.faces_of_truth(label)
        assert lib.person(a) is not None and lib.person(a) == lib.person(b)
