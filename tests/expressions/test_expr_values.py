"""format_value and JSON output follow Go's %v and json.Marshal."""
import pytest

from dflow_nb.expressions import evaluate, format_value


@pytest.mark.parametrize("value,text", [
    ("s", "s"), ("", ""), (1, "1"), (-3, "-3"), (1.5, "1.5"), (3.0, "3"), (0.5, "0.5"),
    (1e21, "1e+21"), (1e6, "1e+06"), (123456.0, "123456"), (1e-5, "1e-05"), (0.0001, "0.0001"),
    (-0.0, "-0"), (float("inf"), "+Inf"), (True, "true"), (False, "false"), (None, "null"),
    ([1, "a", None, 2.0], '[1,"a",null,2]'), ({"b": 1, "a": [True]}, '{"a":[true],"b":1}'),
    ({"k": "<a&b>"}, '{"k":"\\u003ca\\u0026b\\u003e"}'), (["\n\t\"é"], '["\\n\\t\\"é"]'),
    ([1e21, 1e-7, 1e20, 0.000001], "[1e+21,1e-7,100000000000000000000,0.000001]"),
])
def test_format_value(value, text):
    assert format_value(value) == text


def test_to_json_functions():
    assert evaluate("toJson({'b': [1.0, 2.5], 'a': '&'})", {}) == '{"a":"\\u0026","b":[1,2.5]}'
    assert evaluate("toJSON({'a': [1, {}], 'b': []})", {}) == \
        '{\n  "a": [\n    1,\n    {}\n  ],\n  "b": []\n}'


def test_json_numbers_parse_as_floats_like_go():
    assert evaluate("fromJSON('[1, 2]')", {}) == [1.0, 2.0]
    assert type(evaluate("fromJSON('[1, 2]')[0]", {})) is float
    assert evaluate("toJson(fromJSON('[1, 2]'))", {}) == "[1,2]"


def test_jsonpath():
    doc = '{"a": {"b": [{"c": 1}, {"c": 2}]}, "k-1": "v"}'
    scope = {"d": doc}
    assert evaluate("jsonpath(d, '$.a.b[0].c')", scope) == 1.0
    assert evaluate("jsonpath(d, '$.a.b[-1].c')", scope) == 2.0
    assert evaluate("jsonpath(d, '$.a.b[*].c')", scope) == [1.0, 2.0]
    assert evaluate("jsonpath(d, \"$['k-1']\")", scope) == "v"
    assert evaluate("jsonpath(d, '$..c')", scope) == [1.0, 2.0]
    assert evaluate("jsonpath(d, '$.a.b[0:1]')", scope) == [{"c": 1.0}]
    assert evaluate("jsonpath(fromJSON(d), '$.k-1')", scope) == "v"
    with pytest.raises(Exception, match="key 'zz' not found"):
        evaluate("jsonpath(d, '$.zz')", scope)


STAFF = ('{"staff": [{"name": "Ada", "age": 43, "lab": {"room": 1}}, {"name": "Bo", "age": 42},'
         ' {"name": "Cy", "age": 44, "tags": ["x", "y"]}], "limit": 43}')


@pytest.mark.parametrize("path,selected", [
    ('$.staff[?(@.name=="Ada")].age', [43.0]),
    ("$.staff[?(@.age>42 && @.age<44)].name", ["Ada"]),
    ("$.staff[?(@.age < 43 || @.name == 'Cy')].name", ["Bo", "Cy"]),
    ("$.staff[?(!(@.age >= 43))].name", ["Bo"]),
    ("$.staff[?(@.lab)].name", ["Ada"]),                  # a path alone: does it exist?
    ("$.staff[?(@.lab.room == 1)].name", ["Ada"]),
    ("$.staff[?(@.tags[1] == 'y')].name", ["Cy"]),
    ("$.staff[?(@.age >= $.limit)].name", ["Ada", "Cy"]),  # $ is the whole document
    ("$.staff[?(@.name =~ /^[AB]/)].name", ["Ada", "Bo"]),
    ("$.staff[?(@.age > 'forty')].name", []),             # a number and a text: no order
    ("$.staff[?(@.missing != 1)].name", ["Ada", "Bo", "Cy"]),
])
def test_jsonpath_filters_select_as_argo_does(path, selected):
    assert evaluate(f"jsonpath(d, {path!r})", {"d": STAFF}) == selected


@pytest.mark.parametrize("path,words", [
    ("$.staff[?(@.age >)]", "expected a value in the filter"),
    ("$.staff[?(@.age > 1 @.name)]", "unexpected"),
    ("$.staff[?(@.name =~ 'A')]", "=~ needs a /regex/"),
    ("$.staff[?((@.age > 1)]", "is not closed"),
])
def test_a_bad_filter_says_what_is_wrong(path, words):
    with pytest.raises(Exception, match=words):
        evaluate(f"jsonpath(d, {path!r})", {"d": STAFF})
