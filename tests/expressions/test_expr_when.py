"""Argo `when` conditions: tags rendered as text, then govaluate with bare words as strings."""
import pytest

from dflow_nb.expressions import ExpressionError, UnresolvedReference, evaluate_when

SCOPE = {
    "steps.flip-coin.outputs.result": "heads",
    "inputs.parameters.n": "7",
    "inputs.parameters.name": "hello world",
    "inputs.parameters.dashed": "flip-coin",
    "workflow.status": "Succeeded",
}

WHEN = [
    ("{{steps.flip-coin.outputs.result}} == heads", True),
    ("{{steps.flip-coin.outputs.result}} == tails", False),
    ("{{steps.flip-coin.outputs.result}} != tails", True),
    ("tails != heads", True),
    ("{{inputs.parameters.n}} > 5", True),
    ("{{inputs.parameters.n}} <= 5", False),
    ("{{inputs.parameters.n}} == 7", True),
    ("{{inputs.parameters.n}} == '7'", False),  # govaluate: float64 7 vs string "7"
    ("'{{inputs.parameters.n}}' == '7'", True),
    ("a =~ '^h'", False), ("heads =~ '^h'", True), ("heads !~ '^t'", True),
    ("'{{inputs.parameters.name}}' =~ 'wor'", True),
    ("'{{inputs.parameters.dashed}}' == 'flip-coin'", True),
    ("{{workflow.status}} == Succeeded && {{inputs.parameters.n}} >= 7", True),
    ("{{workflow.status}} == Failed || !({{inputs.parameters.n}} < 3)", True),
    ("(1 + 2) * 3 == 9", True), ("10 / 4 == 2.5", True), ("7 % 4 == 3", True),
    ("2 ** 3 == 8", True), ("-1 < 0", True), ("'a' + 1 == 'a1'", True), ("1 + 1 == 2", True),
    ("true", True), ("false", False), ("!false", True), ("b > a", True),
    ("1 in (1, 2)", True), ("x in (a, b)", False), ("true ? false : true", False),
    ("1 > 2 ? false : true", True), ("[my value] == 'my value'", True), ("", True),
]


@pytest.mark.parametrize("text,expected", WHEN)
def test_when(text, expected):
    assert evaluate_when(text, SCOPE) is expected


def test_expression_tags_work_inside_when():
    assert evaluate_when("{{=asInt(inputs.parameters.n) % 2 == 1}}", SCOPE) is True
    assert evaluate_when("{{= steps['flip-coin'].outputs.result }} == heads", SCOPE) is True


def test_mixed_types_on_ordering_are_errors():
    with pytest.raises(ExpressionError, match="cannot be used with the comparator '>'"):
        evaluate_when("heads > 5", SCOPE)


def test_hyphenated_bare_words_are_subtraction_as_in_argo():
    with pytest.raises(ExpressionError, match="modifier '-'"):
        evaluate_when("{{inputs.parameters.dashed}} == flip-coin", SCOPE)


def test_non_bool_results_are_errors():
    with pytest.raises(ExpressionError) as info:
        evaluate_when("{{inputs.parameters.n}} + 1", SCOPE)
    assert str(info.value) == "when '7 + 1' evaluated to 8, expected true or false"


def test_syntax_errors_name_the_rendered_condition():
    with pytest.raises(ExpressionError) as info:
        evaluate_when("{{inputs.parameters.n}} ==-1", SCOPE)
    assert "in when condition '7 ==-1'" in str(info.value)
    assert "Invalid token: '==-'" in str(info.value)
    with pytest.raises(ExpressionError, match="Unbalanced parenthesis"):
        evaluate_when("(1 == 1", SCOPE)
    with pytest.raises(ExpressionError, match="two values in a row"):
        evaluate_when("hello world == x", SCOPE)


def test_missing_references_are_unresolved():
    with pytest.raises(UnresolvedReference) as info:
        evaluate_when("{{steps.nope.outputs.result}} == heads", SCOPE)
    assert info.value.name == "steps.nope.outputs.result"
