"""Rendering text with {{ }} tags: simple names and {{= }} expressions."""
import pytest

from dflow_nb.expressions import UnresolvedReference, render

SCOPE = {
    "inputs.parameters.x": "3",
    "inputs.parameters.msg": "hi there",
    "steps.hello.outputs.result": "hello",
    "steps.a-b.outputs.parameters.p": "P",
    "tasks.t.outputs.artifacts.a": "s3://bucket/key",
    "item": {"a": 1, "b": [1, 2], "c": {"z": 1, "y": "<&>"}},
    "workflow.name": "wf",
    "workflow.parameters.p": "wp",
    "retries": 2,
    "workflow.status": "Failed",
    "workflow.failures": [{"message": "oops"}],
    "num": 1.5,
    "flag": True,
    "big": 1e21,
    "skipped.output": None,
}


@pytest.mark.parametrize("text,expected", [
    ("x={{inputs.parameters.x}}", "x=3"),
    ("x={{ inputs.parameters.x }}", "x=3"),
    ("{{steps.hello.outputs.result}} world", "hello world"),
    ("{{steps.a-b.outputs.parameters.p}}", "P"),
    ("{{tasks.t.outputs.artifacts.a}}", "s3://bucket/key"),
    ("{{item}}", '{"a":1,"b":[1,2],"c":{"y":"\\u003c\\u0026\\u003e","z":1}}'),
    ("{{item.a}} {{item.b}}", "1 [1,2]"),
    ("{{item.c.z}}", "1"),
    ("{{workflow.name}}/{{workflow.parameters.p}}", "wf/wp"),
    ("{{retries}} {{workflow.status}}", "2 Failed"),
    ("{{workflow.failures}}", '[{"message":"oops"}]'),
    ("{{num}} {{flag}} {{big}}", "1.5 true 1e+21"),
    ("no tags at all", "no tags at all"),
    ("{{=inputs.parameters.x}}", "3"),
    ("{{= asInt(inputs.parameters.x) * 2 }}", "6"),
    ("{{=asInt(inputs.parameters.x) / 2}}", "1.5"),
    ("{{=asInt(inputs.parameters.x) / 3}}", "1"),
    ("{{= [1, 2] }}", "[1,2]"),
    ("{{= {'a': {'b': 1}} }}", '{"a":{"b":1}}'),
    ("{{={'a': {'b': 1}}}}", '{"a":{"b":1}}'),
    ("{{= 'a}}b' + '}' }}", "a}}b}"),
    ("{{= item.c }}", '{"y":"\\u003c\\u0026\\u003e","z":1}'),
    ("{{= true }}", "true"),
    ("{{= retries + 1 }}", "3"),
    ("a {{inputs.parameters.msg}} b {{=upper(inputs.parameters.msg)}} c", "a hi there b HI THERE c"),
])
def test_render(text, expected):
    assert render(text, SCOPE) == expected


def test_missing_names_raise_naming_the_tag():
    with pytest.raises(UnresolvedReference) as info:
        render("{{inputs.parameters.nope}}", SCOPE)
    assert info.value.name == "inputs.parameters.nope"
    with pytest.raises(UnresolvedReference) as info:
        render("{{skipped.output}}", SCOPE)  # None means absent (a skipped producer)
    assert info.value.name == "skipped.output"
    with pytest.raises(UnresolvedReference) as info:
        render("{{= steps.nope.outputs.result }}", SCOPE)
    assert info.value.name == "steps.nope.outputs.result"


def test_keep_mode_renders_what_it_can():
    text = "a={{inputs.parameters.x}} b={{steps.later.outputs.result}} c={{=asInt(steps.later.x) + 1}}"
    assert render(text, SCOPE, missing="keep") == \
        "a=3 b={{steps.later.outputs.result}} c={{=asInt(steps.later.x) + 1}}"


def test_keep_mode_still_reports_syntax_errors():
    with pytest.raises(Exception, match="unexpected end of input"):
        render("{{= 1 + }}", SCOPE, missing="keep")


def test_an_expression_that_yields_nil_is_an_error():
    with pytest.raises(Exception, match="evaluated to nil"):
        render("{{= inputs.parameters.nope }}", SCOPE)
    assert render("{{= inputs.parameters.nope ?? 'default' }}", SCOPE) == "default"


def test_missing_mode_is_checked():
    with pytest.raises(ValueError):
        render("x", SCOPE, missing="ignore")
