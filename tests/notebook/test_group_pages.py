"""A collapsed fan-out read a page at a time: Failed, Error, Running, Pending first, then the
rest, each by loop index, whatever order the slices' records arrived in; filters and pages
give what sorting every slice would."""
import random

from dflow_nb.hub.records import StepRecord
from dflow_nb.notebook.graph import GraphModel
from dflow_nb.notebook.viewdata import GROUP_ORDER, group_listing

WF = "pages-abcde"
N = 3000


def slice_record(i, phase, seq):
    return StepRecord(f"{WF}-s{i}", f"{WF}[0].sq({i}:{i})", f"sq({i}:{i})", "Pod", phase, WF,
                      parentID=f"{WF}-g0", key=f"sq-{i}", seq=seq,
                      message="exit code 1" if phase == "Failed" else None)


def model_of(phases):
    """A model fed the slices in a shuffled order (records of a real run arrive as they start)."""
    model = GraphModel(WF)
    model.apply([StepRecord(WF, WF, WF, "Steps", "Running", WF, seq=1),
                 StepRecord(f"{WF}-g0", f"{WF}[0]", "[0]", "StepGroup", "Running", WF,
                            parentID=WF, seq=2)])
    order = list(range(N))
    random.Random(7).shuffle(order)
    model.apply([slice_record(i, phases[i], 3 + n) for n, i in enumerate(order)])
    return model


def expected(phases, wanted=(), needle=""):
    rank = {p: n for n, p in enumerate(GROUP_ORDER)}
    hits = [i for i in range(N) if (not wanted or phases[i] in wanted)
            and (not needle or needle in f"sq-{i}")]
    return sorted(hits, key=lambda i: (rank.get(phases[i], len(rank)), i))


def listed(model, **query):
    page = group_listing(model, f"{WF}-g0#sq", **query)
    return page["total"], [item["index"] for item in page["items"]]


def check(model, phases):
    for query in ({}, {"offset": 45}, {"offset": N - 20}, {"limit": 500, "offset": 100},
                  {"phases": ["Succeeded"]}, {"phases": ["Succeeded"], "offset": 1000},
                  {"phases": ["Running", "Failed"]}, {"phases": ["Pending"], "offset": 3},
                  {"search": "sq-12"}, {"search": "sq-12", "phases": ["Failed"]}):
        offset, limit = query.get("offset", 0), query.get("limit", 50)
        want = expected(phases, query.get("phases", ()), query.get("search", ""))
        assert listed(model, **query) == (len(want), want[offset:offset + limit]), query


def phase_of(i, pending_every):
    return "Failed" if i % 97 == 5 else "Running" if i % 50 == 1 else \
        "Pending" if i % pending_every == 0 else "Succeeded"


def test_a_page_of_a_large_group_is_what_sorting_every_slice_gives():
    for pending_every in (7, 2):   # few pending slices (read from their phase), or most
        phases = {i: phase_of(i, pending_every) for i in range(N)}
        model = model_of(phases)
        check(model, phases)
        # slices move on: the pages follow
        moved = [i for i in range(N) if phases[i] in ("Pending", "Running")][::3]
        for n, i in enumerate(moved):
            phases[i] = "Succeeded" if phases[i] == "Running" else "Running"
        model.apply([slice_record(i, phases[i], 10_000 + n) for n, i in enumerate(moved)])
        check(model, phases)
