"""Expression speed: evaluation against big scopes, ``when`` conditions, and regular
expressions on hostile input (RE2 against Python's backtracking ``re``).

    .venv/bin/python benchmarks/expressions.py

The tests check the behaviour behind these figures without timing it (a parsed expression is
reused, a big plain dict is indexed once, evaluation does not grow with the scope; patterns
run on RE2); this script gives the figures for BENCHMARKS.md.
"""
from __future__ import annotations

import re
import time
from typing import Callable

from dflow_nb.expressions import Scope, evaluate, evaluate_when
from dflow_nb.expressions._go_regexp import go_regex
from dflow_nb.expressions.exprlang import compile_expr

EXPR = "asFloat(inputs.parameters.a) + asFloat(inputs.parameters.b) > 3"


def big_scope(n: int) -> dict[str, str]:
    data = {f"steps.s{i}.outputs.parameters.p": str(i) for i in range(n)}
    data["inputs.parameters.a"] = "1.5"
    data["inputs.parameters.b"] = "2"
    return data


def per_call(fn: Callable[[], object], runs: int) -> float:
    """Seconds per call, best of 3 rounds of ``runs`` calls."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(runs):
            fn()
        best = min(best, (time.perf_counter() - start) / runs)
    return best


def once(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def show(what: str, seconds: float) -> None:
    figure = f"{seconds * 1e6:,.1f} µs" if seconds < 1e-3 else f"{seconds * 1e3:,.1f} ms" \
        if seconds < 1 else f"{seconds:,.2f} s"
    print(f"| {what} | {figure} |")


def spin(n: int = 1_000_000) -> None:
    total = 0
    for i in range(n):
        total += i


def main() -> None:
    print("| what | time |")
    print("|---|---:|")
    show("reference: a Python loop of 1,000,000 additions (machine speed and load)",
         per_call(spin, 1))
    scope = Scope(big_scope(10_000))
    compile_expr.cache_clear()
    show("first evaluation of a new expression (parse + compile), Scope of 10,000 names",
         once(lambda: evaluate(EXPR, scope)))
    show("evaluation of a parsed expression, Scope of 10,000 names",
         per_call(lambda: evaluate(EXPR, scope), 2000))
    small = Scope(big_scope(10))
    show("same, Scope of 10 names", per_call(lambda: evaluate(EXPR, small), 2000))
    data = big_scope(10_000)
    show("first lookup in a plain dict of 10,000 names (builds its index)",
         once(lambda: evaluate("steps.s1.outputs.parameters.p", data)))
    names = [f"steps.s{i}.outputs.parameters.p" for i in range(200)]
    for name in names:   # parse each once
        evaluate(name, data)
    show("later lookups in that dict (200 names, per lookup)",
         per_call(lambda: [evaluate(name, data) for name in names], 5) / len(names))
    when = "{{steps.s7.outputs.parameters.p}} == 7 && {{inputs.parameters.a}} < 2"
    show("when condition with two tags, Scope of 10,000 names",
         per_call(lambda: evaluate_when(when, scope), 2000))
    deep = "(" * 99 + "1" + ")" * 99
    show("parse + evaluate 99 nested parentheses (the limit is 100)",
         once(lambda: evaluate(deep, {})))
    flat = " || ".join(f"steps.s{i}.outputs.parameters.p == 'x'" for i in range(3000))
    show("parse + evaluate a flat chain of 3,000 '||' terms (any length; one level)",
         once(lambda: evaluate(flat, scope)))
    show("evaluation of that parsed chain (3,000 lookups and comparisons)",
         per_call(lambda: evaluate(flat, scope), 5))
    dated = "sprig.date('2006-01-02T15:04:05Z07:00', sprig.dateModify('90m', " \
            "sprig.toDate('2006-01-02', '2017-12-31')))"
    show("sprig.toDate + dateModify + date (Go layouts), parsed", per_call(
        lambda: evaluate(dated, {}), 2000))
    for pattern in ("(a+)+$", "(a+)+b"):
        for n in (20, 40, 100_000):
            subject = "a" * n + "!"
            show(f"RE2: 'aaa…!' ({n:,} a) =~ '{pattern}'",
                 per_call(lambda: go_regex(pattern).search(subject), 20))
    for n in (18, 20, 22, 24):
        subject = "a" * n + "!"
        show(f"Python re (backtracking): 'aaa…!' ({n} a) =~ '(a+)+$'",
             once(lambda: re.search("(a+)+$", subject)))


if __name__ == "__main__":
    main()
