"""Big scopes: lazy prefix views, the Scope helper, and speed."""
import time

from dflow_nb.expressions import Scope, evaluate, render
from dflow_nb.expressions.exprlang import compile_expr


def big_scope(n=10_000):
    data = {f"steps.s{i}.outputs.parameters.p": str(i) for i in range(n)}
    data["inputs.parameters.a"] = "1.5"
    data["inputs.parameters.b"] = "2"
    return data


def test_scope_keeps_its_index_current():
    scope = Scope({"inputs.parameters.a": "1"})
    assert evaluate("inputs.parameters.b ?? 'none'", scope) == "none"
    scope["inputs.parameters.b"] = "2"
    assert evaluate("inputs.parameters.b", scope) == "2"
    del scope["inputs.parameters.b"]
    assert evaluate("keys(inputs.parameters)", scope) == ["a"]


def test_plain_dicts_are_revalidated_when_their_keys_change():
    data = big_scope(100)
    assert evaluate("steps.new?.outputs ?? 'none'", data) == "none"
    data["steps.new.outputs.result"] = "r"
    assert evaluate("steps.new.outputs.result", data) == "r"


def test_layered_scope_shares_the_parent():
    base = Scope(big_scope())
    item_scope = Scope(base, {"item": {"k": "v"}})
    assert evaluate("item.k + steps.s7.outputs.parameters.p", item_scope) == "v7"
    assert "item" not in base
    assert render("{{item.k}}-{{steps.s3.outputs.parameters.p}}", item_scope) == "v-3"
    assert len(item_scope) == len(base) + 1


def test_evaluation_is_fast_after_parsing():
    scope = Scope(big_scope())
    expr = "asFloat(inputs.parameters.a) + asFloat(inputs.parameters.b) > 3"
    assert len(expr) > 50 or True
    compile_expr(expr)
    assert evaluate(expr, scope) is True
    runs = 2000
    start = time.perf_counter()
    for _ in range(runs):
        evaluate(expr, scope)
    per_call = (time.perf_counter() - start) / runs
    assert per_call < 100e-6, f"{per_call * 1e6:.1f} µs per evaluation"


def test_a_plain_big_dict_is_indexed_once():
    data = big_scope()
    evaluate("steps.s1.outputs.parameters.p", data)
    start = time.perf_counter()
    for i in range(200):
        assert evaluate(f"steps.s{i}.outputs.parameters.p", data) == str(i)
    assert (time.perf_counter() - start) / 200 < 2e-3
