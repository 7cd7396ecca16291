"""Deeply nested expressions get a clear ExpressionError naming the problem, from every
parser, never a bare RecursionError: 600 parentheses, 600 nested calls...
What the parsers accept evaluates without exhausting the stack, even from a deep caller.
A flat chain (``a || b || ...``, ``1 + 1 + ...``) is not nesting: any length works, as in Argo.
And one expression cannot build a list or a string that takes the engine's memory."""
import pytest

from dflow_nb import InputParameter, ShellOPTemplate, Step, Workflow
from dflow_nb.errors import ValidationError
from dflow_nb.expressions import ExpressionError, evaluate, evaluate_when, references, render

TOO_DEEP = "nested too deeply"
LOOP = {}
LOOP["a"] = LOOP
SCOPE = {"loop": LOOP}   # loop.a.a.a... is loop at any length

EXPR = {  # expr-lang, as in {{= }}
    "parentheses": lambda n: "(" * n + "1" + ")" * n,
    "power chain": lambda n: " ** ".join(["1"] * n),
    "comparison chain": lambda n: " < ".join(str(i) for i in range(n)),
    "negations": lambda n: "- " * n + "1",
    "nots": lambda n: "not " * n + "true",
    "arrays": lambda n: "[" * n + "]" * n,
    "maps": lambda n: "{'a': " * n + "1" + "}" * n,
    "calls": lambda n: "abs(" * n + "1" + ")" * n,
    "sprig calls": lambda n: "sprig.trim(" * n + "'x'" + ")" * n,
    "pipes": lambda n: "1" + " | abs()" * n,
    "members": lambda n: "len(loop" + ".a" * n + ")",
    "indexes": lambda n: "len(loop" + "['a']" * n + ")",
    "optional members": lambda n: "len(loop" + "?.a" * n + ")",
    "ternaries": lambda n: "true ? " * n + "1" + " : 2" * n,
    "elvis": lambda n: " ?: ".join(["1"] * n),
    "lets": lambda n: "let x = 1; " * n + "x",
    "predicates": lambda n: "map([1], " * n + "#" + ")" * n,
}

WHEN = {  # govaluate, as in when
    "parentheses": lambda n: "(" * n + "1 == 1" + ")" * n,
    "nots": lambda n: "! " * n + "true",
    "negations": lambda n: "- " * n + "1 < 2",
}

FLAT = [  # (language, chain of n terms, its value)
    ("expr", lambda n: " + ".join(["1"] * n), lambda n: n),
    ("expr", lambda n: " - ".join(["1"] * n), lambda n: 2 - n),
    ("expr", lambda n: " && ".join(["true"] * n), lambda n: True),
    ("expr", lambda n: " || ".join(["false"] * (n - 1) + ["true"]), lambda n: True),
    ("expr", lambda n: " ?? ".join(["nil"] * (n - 1) + ["7"]), lambda n: 7),
    ("expr", lambda n: " * ".join(["2"] * 20) + " + 1" * n, lambda n: 2 ** 20 + n),
    ("when", lambda n: " + ".join(["1"] * n) + f" == {n}", lambda n: True),
    ("when", lambda n: " || ".join(["1 == 2"] * (n - 1) + ["1 == 1"]), lambda n: True),
    ("when", lambda n: " && ".join(["true"] * n), lambda n: True),
    ("when", lambda n: "true ? " * n + "true", lambda n: True),
]


def test_hostile_depths_give_a_clear_error_in_expr_lang():
    for kind, make in EXPR.items():
        for n in (600, 2000):
            with pytest.raises(ExpressionError, match=TOO_DEEP):
                evaluate(make(n), SCOPE)
            with pytest.raises(ExpressionError, match=TOO_DEEP):
                references("{{= " + make(n) + " }}")
            with pytest.raises(ExpressionError, match=TOO_DEEP):
                render("v={{= " + make(n) + " }}", SCOPE, missing="keep")


def test_hostile_depths_give_a_clear_error_in_when():
    for kind, make in WHEN.items():
        for n in (600, 2000):
            with pytest.raises(ExpressionError, match=TOO_DEEP):
                evaluate_when(make(n), {})


@pytest.mark.parametrize("language, make, value", FLAT)
def test_a_long_flat_chain_is_not_deep(language, make, value):
    """Argo has no limit on a chain's length: 3,000 terms parse, compile and evaluate in a loop,
    even 250 frames below the caller."""
    run = (lambda text: evaluate(text, {})) if language == "expr" else \
        (lambda text: evaluate_when(text, {}))
    assert _from_a_deep_stack(250, lambda: run(make(3000))) == value(3000)


def test_a_flat_chain_short_circuits_and_names_the_bad_operand():
    chain = " || ".join(["false"] * 300 + ["true"] + ["1 / 0 > 'x'"] * 300)
    assert evaluate(chain, {}) is True
    with pytest.raises(ExpressionError, match=r"'\|\|' needs bools, got int '1' \(column 1798\)"):
        evaluate(" || ".join(["false"] * 200 + ["1"] + ["false"] * 200), {})
    assert references("{{= " + " + ".join(f"inputs.parameters.p{i}" for i in range(300)) +
                      " }}")[299] == "inputs.parameters.p299"


def test_long_lists_are_not_deep():
    assert evaluate_when("2000 in (" + ", ".join(str(i) for i in range(2001)) + ")", {})
    assert evaluate("2000 in [" + ", ".join(str(i) for i in range(2001)) + "]", {})
    assert evaluate("len({" + ", ".join(f"'k{i}': {i}" for i in range(2000)) + "})", {}) == 2000


def test_the_error_is_short_and_points_at_the_problem():
    with pytest.raises(ExpressionError) as info:
        evaluate("(" * 600 + "1" + ")" * 600, {})
    assert len(str(info.value)) < 400
    assert "column" in str(info.value)


def _deepest_accepted(evaluate_one, make):
    """The largest n whose make(n) is not refused as too deep (binary search)."""
    def refused(n):
        try:
            evaluate_one(make(n))
        except ExpressionError as e:
            return TOO_DEEP in str(e)
        return False
    lo, hi = 1, 1000
    assert refused(hi), "no depth limit"
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if refused(mid) else (mid, hi)
    return lo


def _from_a_deep_stack(frames, fn):
    return fn() if frames == 0 else _from_a_deep_stack(frames - 1, fn)


@pytest.mark.parametrize("language,kind", [("expr", k) for k in EXPR] +
                         [("when", k) for k in WHEN])
def test_the_deepest_accepted_expression_runs_from_a_deep_caller(language, kind):
    make = (EXPR if language == "expr" else WHEN)[kind]
    run = (lambda text: evaluate(text, SCOPE)) if language == "expr" else \
        (lambda text: evaluate_when(text, {}))
    n = _deepest_accepted(run, make)
    assert n >= 40, f"{kind}: only {n} levels accepted"
    text = make(n)
    # a fresh text (not cached) parsed, compiled and evaluated 250 frames below the caller
    _from_a_deep_stack(250, lambda: run(text + " "))


def echo():
    t = ShellOPTemplate(name="echo", script="echo {{inputs.parameters.v}}")
    t.inputs.parameters["v"] = InputParameter()
    return t


def test_a_deep_expression_is_refused_at_submit():
    wf = Workflow("deep-param")
    wf.add(Step("s", echo(), parameters={"v": "{{= " + EXPR["parentheses"](600) + " }}"}))
    with pytest.raises(ValidationError, match=TOO_DEEP):
        wf.submit()
    wf = Workflow("deep-chain")
    wf.add(Step("s", echo(), parameters={"v": "{{= " + EXPR["power chain"](2000) + " }}"}))
    with pytest.raises(ValidationError, match=TOO_DEEP):
        wf.submit()


def test_a_deep_when_fails_its_step_with_the_reason():
    wf = Workflow("deep-when")
    wf.add(Step("deep", echo(), parameters={"v": "x"}, when=WHEN["parentheses"](600)))
    wf.submit()
    step = wf.query_step(name="deep")[0]
    assert step.phase == "Error"
    assert TOO_DEEP in step.message and "RecursionError" not in step.message
    assert wf.query_status() in ("Failed", "Error")


@pytest.mark.parametrize("expr", [
    "sprig.until(100000000000)", "sprig.untilStep(0, 100000000000, 1)", "1..100000000000",
    "repeat('ab', 1000000000000)", "sprig.repeat(1000000000000, 'ab')",
    "sprig.indent(1000000000000, 'x')", "sprig.nindent(1000000000000, 'x')",
])
def test_a_huge_list_or_string_is_refused(expr):
    with pytest.raises(ExpressionError, match="more than the 10,000,000 allowed"):
        evaluate(expr, {})


def test_big_but_bounded_sizes_still_work():
    assert evaluate("len(sprig.untilStep(0, 100000000000, 100000))", {}) == 1_000_000
    assert evaluate("len(repeat('ab', 5000000))", {}) == 10_000_000
