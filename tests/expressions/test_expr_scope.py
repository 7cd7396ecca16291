"""Big scopes: lazy prefix views, the Scope helper, and work that does not grow with them
(timings live in benchmarks/expressions.py)."""
from dflow_nb.expressions import Scope, evaluate, render
from dflow_nb.expressions._scope import Resolver, _PrefixIndex
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


def count_calls(monkeypatch, cls, name):
    """Count the calls of ``cls.name`` (the real method still runs)."""
    calls = []
    real = getattr(cls, name)

    def counted(self, *args):
        calls.append(args)
        return real(self, *args)
    monkeypatch.setattr(cls, name, counted)
    return calls


def test_evaluation_after_the_first_reuses_the_compiled_expression():
    scope = Scope(big_scope())
    expr = "asFloat(inputs.parameters.a) + asFloat(inputs.parameters.b) > 3"
    assert evaluate(expr, scope) is True
    before = compile_expr.cache_info()
    for _ in range(100):
        assert evaluate(expr, scope) is True
    after = compile_expr.cache_info()
    assert (after.hits - before.hits, after.misses - before.misses) == (100, 0)


def test_evaluation_cost_does_not_depend_on_the_size_of_a_scope(monkeypatch):
    expr = "asFloat(inputs.parameters.a) + asFloat(inputs.parameters.b) > 3"
    small, big = Scope(big_scope(10)), Scope(big_scope(10_000))
    lookups = count_calls(monkeypatch, Resolver, "lookup")
    indexed = count_calls(monkeypatch, _PrefixIndex, "add")
    assert evaluate(expr, small) is True
    in_small = len(lookups)
    assert evaluate(expr, big) is True
    assert len(lookups) - in_small == in_small > 0
    assert indexed == []   # a Scope keeps its index; evaluating builds none


def test_a_plain_big_dict_is_indexed_once(monkeypatch):
    data = big_scope()
    indexed = count_calls(monkeypatch, _PrefixIndex, "add")
    for i in range(200):
        assert evaluate(f"steps.s{i}.outputs.parameters.p", data) == str(i)
    assert len(indexed) == len(data)   # each name once, at the first evaluation
    data["steps.new.outputs.result"] = "r"
    assert evaluate("steps.new.outputs.result", data) == "r"
    assert len(indexed) == 2 * len(data) - 1   # a changed key set is indexed again, once
