"""Errors name the expression, the position and the cause in user terms."""
import pytest

from dflow_nb.expressions import ExpressionError, UnresolvedReference, evaluate, render


def message(expr, scope=None):
    with pytest.raises(ExpressionError) as info:
        evaluate(expr, scope or {})
    return str(info.value)


def test_syntax_errors_say_where_and_what():
    assert message("asInt(x) +", {"x": "1"}) == \
        "in expression 'asInt(x) +': unexpected end of input after '+' (column 11)"
    assert "unexpected ')'" in message("(1 + 2))")
    assert "expected ',' or ']'" in message("[1, 2")
    assert "unterminated string literal" in message("'abc")
    assert "unrecognized character '@'" in message("1 @ 2")
    assert message("") == "in expression '': empty expression (column 1)"


def test_number_literals_out_of_range():
    assert "integer literal is too large" in message("9223372036854775808")
    assert "float literal is too large" in message("1e400")
    assert "invalid number '0x'" in message("0x")
    assert evaluate("1e19", {}) == 1e19  # a float above the int64 range is fine


def test_unknown_functions_are_named():
    assert "unknown function 'nosuch'" in message("nosuch(1)")
    assert "unknown function 'sprig.nosuch'" in message("sprig.nosuch(1)")
    assert "len expects 1 argument, got 2" in message("len(1, 2)")
    assert "now: invalid number of arguments (expected 0, got 1)" in message("now(1)")


def test_type_errors_name_the_types():
    assert "invalid operation: + (mismatched types string and int)" in message("'a' + 1")
    assert "mismatched types float and int" in message("1.5 % 2")
    assert "integer divide by zero" in message("1 % 0")
    assert "'&&' needs bools, got int" in message("1 && true")
    assert "condition of '? :' must be a bool" in message("1 ? 2 : 3")
    assert "index out of range: 5 (array length is 2)" in message("[1, 2][5]")
    assert "cannot fetch 'x' from nil" in message("[nil][0].x")
    assert "unexpected '.'" in message("nil.x")  # expr-lang: no member access on a literal


def test_conversion_errors_quote_the_value():
    msg = message("asFloat(x) < 3", {"x": "abc"})
    assert msg.startswith("in expression 'asFloat(x) < 3': asFloat: cannot parse 'abc' as a number")
    assert "asInt: cannot parse '3.5' as an integer" in message("asInt('3.5')")
    assert "sprig.untilStep: argument 2 must be an int, got float" in \
        message("sprig.untilStep(0, 5.0, 1)")


def test_argo_rules_that_surprise():
    assert "cannot be mixed" in message("nil ?? 1 + 1")
    assert evaluate("(nil ?? 1) + 1", {}) == 2
    assert "outside a predicate" in message("# + 1")


def test_unknown_names_raise_unresolved_reference_with_the_whole_path():
    with pytest.raises(UnresolvedReference) as info:
        evaluate("steps.hello.outputs.result == 'x'", {"inputs.parameters.a": "1"})
    assert info.value.name == "steps.hello.outputs.result"
    assert "unknown reference 'steps.hello.outputs.result'" in str(info.value)


def test_a_path_through_an_absent_value_is_unresolved():
    scope = {"steps.a.outputs.parameters.p": None, "item": {"a": None}}
    assert evaluate("steps.a.outputs.parameters.p ?? 'd'", scope) == "d"
    with pytest.raises(UnresolvedReference) as info:
        evaluate("item.a.b.c", scope)
    assert info.value.name == "item.a.b.c"
    assert "'item.a' is nil" in str(info.value)


def test_errors_are_value_errors():
    with pytest.raises(ValueError):
        evaluate("1 +", {})
    assert issubclass(UnresolvedReference, ExpressionError)


def test_render_errors_name_the_tag():
    with pytest.raises(UnresolvedReference) as info:
        render("echo {{inputs.parameters.x}} done", {})
    assert info.value.name == "inputs.parameters.x"
    assert "'{{inputs.parameters.x}}'" in str(info.value)
    with pytest.raises(ExpressionError, match="in expression 'asInt\\(x\\) \\+'"):
        render("{{= asInt(x) +}}", {"x": "1"})
    with pytest.raises(ExpressionError, match="unclosed tag"):
        render("echo {{inputs.parameters.x", {})
