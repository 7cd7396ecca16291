"""Property: integer/float arithmetic agrees with Python (with Go's % and / rules)."""
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from dflow_nb.expressions import evaluate


def model(op, a, b):
    """What expr-lang computes, written with Python operators."""
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return float(a) / float(b)
    if op == "%":  # Go: the remainder has the sign of the dividend
        r = abs(a) % abs(b)
        return -r if a < 0 else r
    raise AssertionError(op)


numbers = st.one_of(st.integers(-1000, 1000),
                    st.floats(-1000, 1000, allow_nan=False).map(lambda f: round(f, 3)))


@st.composite
def trees(draw, depth=3):
    if depth == 0 or draw(st.booleans()):
        n = draw(numbers)
        return (repr(n) if n >= 0 else f"({n!r})"), n
    op = draw(st.sampled_from("+-*/%"))
    left_src, left = draw(trees(depth=depth - 1))
    right_src, right = draw(trees(depth=depth - 1))
    if op == "%" and not (type(left) is int and type(right) is int and right != 0):
        op = "+"
    if op == "/" and right == 0:
        op = "-"
    return f"({left_src} {op} {right_src})", model(op, left, right)


@settings(max_examples=300, deadline=None)
@given(trees())
def test_arithmetic_matches_python(tree):
    src, expected = tree
    got = evaluate(src, {})
    assert type(got) is type(expected)
    assert math.isclose(got, expected, rel_tol=1e-12, abs_tol=1e-9) if type(got) is float \
        else got == expected
