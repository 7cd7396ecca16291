"""expr-lang expressions (the inside of ``{{= }}``) evaluate as Argo's expr-lang would."""
import math

import pytest

from dflow_nb.expressions import ExpressionError, Scope, evaluate

SCOPE = {
    "inputs.parameters.n": "3",
    "inputs.parameters.a": "1.5",
    "inputs.parameters.b": "2",
    "inputs.parameters.my-param": "hyphen",
    "inputs.parameters.list": '[1, 2, 3]',
    "inputs.parameters.obj": '{"key": "v", "nested": {"x": [10, 20]}}',
    "steps.flip-coin.outputs.result": "heads",
    "steps.flip.outputs.result": "tails",
    "steps.a.outputs.parameters.x": '["a", "b"]',
    "item": {"a": 1, "b": "two"},
    "workflow.name": "wf-1",
    "workflow.parameters.p": "42",
    "retries": "2",
    "lastRetry.exitCode": "1",
    "absent": None,
}

CASES = [
    # literals
    ("1", 1), ("1.5", 1.5), ("1e3", 1000.0), (".5", 0.5), ("1_000", 1000), ("0x1F", 31),
    ("0o17", 15), ("0b101", 5), ("'it\\'s'", "it's"), ('"a\\tb"', "a\tb"), ("`raw\\n`", "raw\\n"),
    ('"\\u00e9"', "é"), ("true", True), ("false", False), ("nil", None),
    ("[1, 'a', [true]]", [1, "a", [True]]), ("{a: 1, 'b': 2, 3: 'c'}", {"a": 1, "b": 2, "3": "c"}),
    ("{('x' + 'y'): 1}", {"xy": 1}), ("[1, 2,]", [1, 2]),
    # arithmetic
    ("1 + 2 * 3", 7), ("(1 + 2) * 3", 9), ("7 / 2", 3.5), ("6 / 3", 2.0), ("7 % 3", 1),
    ("-7 % 3", -1), ("7 % -3", 1), ("2 ** 3", 8.0), ("2 ^ 3 ^ 2", 512.0), ("-2 ** 2", -4.0),
    ("1 + 1.5", 2.5), ("3 - 5", -2), ("-(3)", -3), ("+3", 3), ("'a' + 'b'", "ab"),
    ("1 / 0", math.inf), ("-1 / 0", -math.inf), ("9223372036854775807 + 1", -9223372036854775808),
    # comparison and logic
    ("1 < 2", True), ("2 <= 2", True), ("'a' < 'b'", True), ("1 == 1.0", True), ("1 == '1'", False),
    ("nil == nil", True), ("[1, 2] == [1, 2]", True), ("{a: 1} == {a: 1}", True),
    ("1 != 2", True), ("1 < 2 < 3", True), ("3 > 2 > 2", False),
    ("true && false", False), ("true and true", True), ("false || true", True),
    ("false or false", False), ("!true", False), ("not false", True), ("not (1 > 2)", True),
    ("false && nonexistent", False), ("true || nonexistent", True),
    # membership and strings
    ("2 in [1, 2]", True), ("2 not in [1, 2]", False), ("'a' in {a: 1}", True),
    ("'z' in {a: 1}", False), ("'hello' contains 'ell'", True), ("'hello' startsWith 'he'", True),
    ("'hello' endsWith 'lo'", True), ("'hello' not contains 'x'", True),
    ("'hello' matches '^h.l+o$'", True), ("'hello' not matches '^x'", True),
    ("1..4", [1, 2, 3, 4]), ("3..1", []),
    # ternary, coalesce, let, pipes
    ("1 < 2 ? 'yes' : 'no'", "yes"), ("false ? 1 : true ? 2 : 3", 2), ("nil ?: 'd'", "d"),
    ("nil ?? 'd'", "d"), ("'v' ?? 'd'", "v"), ("let x = 2; x * 3", 6),
    ("[3, 1, 2] | sort()", [1, 2, 3]), ("'  a ' | trim() | upper()", "A"),
    ("[1, 2, 3] | map(# * 2)", [2, 4, 6]),
    # member access, indexing, slices, optional chaining
    ("[1, 2, 3][0]", 1), ("[1, 2, 3][-1]", 3), ("[1, 2, 3][1:]", [2, 3]), ("[1, 2, 3][:2]", [1, 2]),
    ("[1, 2, 3][-2:]", [2, 3]), ("[1, 2, 3][5:]", []), ("'hello'[1:3]", "el"), ("'hello'[0]", "h"),
    ("{a: {b: 1}}.a.b", 1), ("{a: 1}.z", None), ("{a: 1}['a']", 1), ("{a: nil}.a?.b", None),
    ("{a: nil}.a?.b.c", None), ("{a: nil}.a?.[0]", None),
    # the scope as nested maps
    ("inputs.parameters.n", "3"), ("inputs.parameters['my-param']", "hyphen"),
    ("steps['flip-coin'].outputs.result", "heads"), ("steps.flip.outputs.result", "tails"),
    ("item.a + 1", 2), ("item['b']", "two"), ("workflow.name", "wf-1"),
    ("inputs.parameters.missing ?? 'd'", "d"), ("inputs.parameters.n ?? 'd'", "3"),
    ("absent ?? 'd'", "d"), ("'n' in inputs.parameters", True),
    ("len(inputs.parameters)", 6), ("keys(workflow)", ["name", "parameters"]),
    ("workflow.parameters", {"p": "42"}),
    # builtins
    ("len('héllo')", 6), ("len([1, 2])", 2), ("len({a: 1})", 1), ("abs(-2)", 2), ("abs(-2.5)", 2.5),
    ("int('42')", 42), ("int(3.9)", 3), ("int(-3.9)", -3), ("float('1.5')", 1.5), ("float(2)", 2.0),
    ("string(1.0)", "1"), ("string(true)", "true"), ("string([1, 'a'])", "[1 a]"),
    ("string({b: 1, a: 2})", "map[a:2 b:1]"), ("string(nil)", "<nil>"), ("string(1e6)", "1e+06"),
    ("upper('a')", "A"), ("lower('A')", "a"), ("trim('  x  ')", "x"), ("trim('xxaxx', 'x')", "a"),
    ("trimPrefix('prefix-a', 'prefix-')", "a"), ("trimSuffix('a.txt', '.txt')", "a"),
    ("split('a,b,c', ',')", ["a", "b", "c"]), ("split('a,b,c', ',', 2)", ["a", "b,c"]),
    ("splitAfter('a,b', ',')", ["a,", "b"]), ("join(['a', 'b'], '-')", "a-b"),
    ("join(['a', 'b'])", "ab"), ("replace('aaa', 'a', 'b')", "bbb"), ("repeat('ab', 2)", "abab"),
    ("indexOf('hello', 'l')", 2), ("lastIndexOf('hello', 'l')", 3), ("hasPrefix('ab', 'a')", True),
    ("hasSuffix('ab', 'b')", True), ("first([1, 2])", 1), ("last([1, 2])", 2), ("first([])", None),
    ("max(1, 3, 2)", 3), ("min([4, 2.5])", 2.5), ("sum([1, 2, 3])", 6), ("sum([1, 2.5])", 3.5),
    ("mean([1, 2])", 1.5), ("median([3, 1, 2])", 2.0), ("ceil(1.2)", 2.0), ("floor(1.8)", 1.0),
    ("round(2.5)", 3.0), ("round(-2.5)", -3.0), ("keys({b: 1, a: 2})", ["a", "b"]),
    ("values({b: 1, a: 2})", [2, 1]), ("get([1, 2], 5)", None), ("get({a: 1}, 'a')", 1),
    ("take([1, 2, 3], 2)", [1, 2]), ("reverse([1, 2])", [2, 1]), ("uniq([1, 1, 2])", [1, 2]),
    ("flatten([1, [2, [3]]])", [1, 2, 3]), ("concat([1], [2, 3])", [1, 2, 3]),
    ("sort([3, 1, 2], 'desc')", [3, 2, 1]), ("toPairs({a: 1})", [["a", 1]]),
    ("fromPairs([['a', 1]])", {"a": 1}), ("type(1)", "int"), ("type('a')", "string"),
    ("type([])", "array"), ("type({})", "map"), ("type(nil)", "nil"), ("type(1.5)", "float"),
    ("toJSON([1, 2])", "[\n  1,\n  2\n]"), ("toJSON({a: 1})", '{\n  "a": 1\n}'),
    ("fromJSON('{\"a\": [1, 2]}')", {"a": [1.0, 2.0]}), ("toBase64('hi')", "aGk="),
    ("fromBase64('aGk=')", "hi"),
    # predicates
    ("map([1, 2], # + 1)", [2, 3]), ("map([1, 2], {# + 1})", [2, 3]), ("map([1, 2], #index)", [0, 1]),
    ("filter([1, 2, 3, 4], # % 2 == 0)", [2, 4]), ("all([1, 2], # > 0)", True),
    ("any([1, 2], # > 1)", True), ("none([1, 2], # > 5)", True), ("one([1, 2], # > 1)", True),
    ("count([1, 2, 3], # > 1)", 2), ("count([true, false, true])", 2), ("sum([1, 2], # * 10)", 30),
    ("find([1, 2, 3], # > 1)", 2), ("findIndex([1, 2, 3], # > 1)", 1), ("findLast([1, 2, 3], # > 1)", 3),
    ("findLastIndex([1, 2, 3], # > 5)", -1), ("map([{n: 1}, {n: 2}], .n)", [1, 2]),
    ("groupBy([1, 2, 3], # % 2 == 0)", {False: [1, 3], True: [2]}),
    ("sortBy([{n: 2}, {n: 1}], .n)", [{"n": 1}, {"n": 2}]), ("reduce([1, 2, 3], #acc + #)", 6),
    ("reduce([1, 2, 3], #acc + #, 10)", 16), ("map([[1, 2], [3]], len(#))", [2, 1]),
    ("map([1, 2], map([10, 20], # + 1))", [[11, 21], [11, 21]]),
    ("map([1, 2], {'a': #})", [{"a": 1}, {"a": 2}]), ("map([1, 2], { {'a': #} })", [{"a": 1}, {"a": 2}]),
    # comments
    ("1 + /* two */ 2 // trailing", 3),
]


@pytest.mark.parametrize("expr,expected", CASES)
def test_evaluates_like_expr_lang(expr, expected):
    result = evaluate(expr, SCOPE)
    assert result == expected
    assert type(result) is type(expected)


def test_ints_stay_ints_and_division_gives_floats():
    assert type(evaluate("2 + 3", {})) is int
    assert type(evaluate("6 / 3", {})) is float
    assert type(evaluate("2 + 0.5", {})) is float
    assert math.isnan(evaluate("0 / 0", {}))


def test_a_scope_object_and_a_plain_dict_agree():
    scope = Scope(SCOPE)
    for expr in ("steps['flip-coin'].outputs.result", "item.b", "keys(inputs.parameters)",
                 "inputs.parameters.missing ?? 1"):
        assert evaluate(expr, scope) == evaluate(expr, SCOPE)


def test_the_more_specific_names_win_when_a_name_is_also_a_prefix():
    scope = {"steps.x.outputs.parameters": '[{"p": "1"}]', "steps.x.outputs.parameters.p": "1"}
    assert evaluate("steps.x.outputs.parameters.p", scope) == "1"
    assert evaluate("steps.x.outputs.parameters", scope) == {"p": "1"}


def test_predicates_see_the_scope():
    assert evaluate("map(1..2, inputs.parameters.n + string(#))", SCOPE) == ["31", "32"]


def test_parameters_are_strings_until_converted():
    with pytest.raises(ExpressionError, match="mismatched types string and int"):
        evaluate("inputs.parameters.n + 1", SCOPE)
    assert evaluate("asInt(inputs.parameters.n) + 1", SCOPE) == 4
    assert evaluate("inputs.parameters.n + '1'", SCOPE) == "31"
