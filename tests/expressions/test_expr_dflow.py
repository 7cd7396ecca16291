"""The exact expressions Dflow emits evaluate as they do on Argo."""
import pytest

from dflow_nb.expressions import evaluate, render

SCOPE = {
    "inputs.parameters.n": "4",
    "inputs.parameters.a": "1.5",
    "inputs.parameters.x": "abc",
    "steps.a.outputs.parameters.x": '[1, 2, 3]',
    "p": '["a", "b", "c"]',
    "x": '{"key": "v", "list": [5, 6, 7]}',
    "y": '[10, 20, 30]',
    "a": "2.5",
    "b": "0.5",
    "lastRetry.exitCode": "2",
    "lastRetry.status": "Failed",
}

DFLOW = [
    ("toJson(sprig.untilStep(0, 5, 1))", "[0,1,2,3,4]"),
    ("toJson(sprig.untilStep(sprig.atoi(inputs.parameters.n), 10, 2))", "[4,6,8]"),
    ("len(sprig.fromJson(steps.a.outputs.parameters.x))", 3),
    ("toJson(map(sprig.untilStep(0, len(sprig.fromJson(p)), 1), "
     "{'order': #, 'value': jsonpath(p, '$')[#]}))",
     '[{"order":0,"value":"a"},{"order":1,"value":"b"},{"order":2,"value":"c"}]'),
    # the form Dflow really writes: predicate braces around a map literal
    ("toJson(map(sprig.untilStep(0, len(sprig.fromJson(p)), 1), "
     "{ {'order': #, 'value': jsonpath(p, '$')[#]} }))",
     '[{"order":0,"value":"a"},{"order":1,"value":"b"},{"order":2,"value":"c"}]'),
    ("toJson(map(sprig.untilStep(0, 3, 1), { {'order': #, 'value': jsonpath(p, '$')[#], "
     "'other': jsonpath(y, '$')[#]} }))",
     '[{"order":0,"other":10,"value":"a"},{"order":1,"other":20,"value":"b"},'
     '{"order":2,"other":30,"value":"c"}]'),
    ("jsonpath(y, '$')[2]", 30.0),
    ("jsonpath(x, '$')['key']", "v"),
    ("jsonpath(x, '$.list[1]')", 6.0),
    ("asFloat(inputs.parameters.a) < 3", True),
    ("asFloat(a) + asFloat(b)", 3.0),
    ("string(inputs.parameters.x) == 'abc' ? inputs.parameters.x : toJson(y)", "abc"),
    ("string(inputs.parameters.n) == 'abc' ? inputs.parameters.x : toJson(y)", '"[10, 20, 30]"'),
    ("sprig.int(10/3) + 1", 4),
    ("asInt(lastRetry.exitCode) != 2", False),
    ("inputs.parameters.x ?? 'd'", "abc"),
    ("inputs.parameters.nope ?? 'd'", "d"),
    ("lastRetry.status == 'Error' || asInt(lastRetry.exitCode) == 2", True),
]


@pytest.mark.parametrize("expr,expected", DFLOW)
def test_dflow_expression(expr, expected):
    assert evaluate(expr, SCOPE) == expected


def test_dflow_tags_render_to_the_text_argo_inserts():
    assert render("{{=toJson(sprig.untilStep(0, 3, 1))}}", SCOPE) == "[0,1,2]"
    assert render("{{=asFloat(a) + asFloat(b)}}", SCOPE) == "3"
    assert render("{{=sprig.int(10/3) + 1}}", SCOPE) == "4"
    assert render("{{=jsonpath(y, '$')[2]}}", SCOPE) == "30"


def test_sprig_helpers():
    cases = {
        "sprig.until(3)": [0, 1, 2], "sprig.untilStep(5, 0, -2)": [5, 3, 1],
        "sprig.untilStep(0, 5, 0)": [], "sprig.atoi('x')": 0, "sprig.atoi('-12')": -12,
        "sprig.int('7')": 7, "sprig.int('3.0')": 3, "sprig.int('0x10')": 16, "sprig.int64(2.9)": 2,
        "sprig.float64('1.5')": 1.5, "sprig.toString(1.5)": "1.5", "sprig.trim(' a ')": "a",
        "sprig.upper('a')": "A", "sprig.lower('A')": "a", "sprig.replace('a', 'b', 'aa')": "bb",
        "sprig.contains('b', 'abc')": True, "sprig.hasPrefix('a', 'abc')": True,
        "sprig.hasSuffix('c', 'abc')": True, "sprig.splitList(',', 'a,b')": ["a", "b"],
        "sprig.split(',', 'a,b')": {"_0": "a", "_1": "b"}, "sprig.join('-', ['a', 1])": "a-1",
        "sprig.list(1, 'a')": [1, "a"], "sprig.dict('a', 1, 'b', 2)": {"a": 1, "b": 2},
        "sprig.get(sprig.dict('a', 1), 'a')": 1, "sprig.get(sprig.dict('a', 1), 'z')": "",
        "sprig.default('d', '')": "d", "sprig.default('d', 'v')": "v", "sprig.empty('')": True,
        "sprig.empty([1])": False, "sprig.add(1, 2, 3)": 6, "sprig.sub(5, 2)": 3,
        "sprig.mul(2, 3, 4)": 24, "sprig.div(7, 2)": 3, "sprig.div(-7, 2)": -3, "sprig.mod(7, 3)": 1,
        "sprig.max(1, 5, 3)": 5, "sprig.min(4, 2)": 2, "sprig.add(1.9, 1)": 2,
        "sprig.toJson({b: 1, a: '<'})": '{"a":"\\u003c","b":1}',
        "sprig.fromJson('[1]')": [1.0], "sprig.fromJson('oops')": None,
        "sprig.mustFromJson('{\"a\": true}')": {"a": True}, "sprig.b64enc('hi')": "aGk=",
        "sprig.regexMatch('^a.c$', 'abc')": True, "sprig.first([1, 2])": 1,
        "sprig.ternary('y', 'n', true)": "y", "sprig.coalesce('', nil, 'x')": "x",
        "sprig.has(2, [1, 2])": True, "sprig.uniq([1, 1])": [1], "sprig.keys({b: 1, a: 2})": ["a", "b"],
        "sprig.substr(1, 3, 'hello')": "el", "sprig.trunc(2, 'hello')": "he",
        "sprig.quote('a')": '"a"', "sprig.squote('a')": "'a'",
    }
    for expr, expected in cases.items():
        assert evaluate(expr, {}) == expected, expr
