"""Grouped slices: the engine's plan and what an Argo pod is told name the same slices."""
import json

from dflow_nb.local.loops import slice_plan
from dflow_nb.plugins._render import argo_slice
from dflow_nb.python import Slices


def test_groups_cover_every_slice_once_in_order_without_shuffle():
    items, specs = slice_plan(Slices(group_size=3, input_parameter=["x"]), list(range(7)), {})
    assert items == [0, 1, 2]
    assert [s.index for s in specs] == [[0, 1, 2], [3, 4, 5], [6]]


def test_a_shuffled_group_is_the_same_in_the_engine_and_in_an_argo_pod():
    sl = Slices(group_size=4, shuffle=True, random_seed=11, input_parameter=["x"])
    items, specs = slice_plan(sl, list(range(10)), {})
    groups = [s.index for s in specs]
    assert sorted(i for g in groups for i in g) == list(range(10))
    assert groups != [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]   # shuffled, deterministically
    for k in items:
        told = {"index": k, "group": {"size": 4, "shuffle": True, "seed": 11, "n": 10}}
        assert argo_slice(json.dumps(told))["index"] == groups[k]
