"""Fuzzing the expression parsers: whatever text a workflow or a step output brings, the
expression functions return or raise ExpressionError (UnresolvedReference included), never
anything else, and never hang. Each test is bounded (examples x deadline) to a few seconds."""
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dflow_nb.expressions import (
    ExpressionError,
    evaluate,
    evaluate_when,
    format_value,
    references,
    render,
)

BOUNDED = settings(max_examples=150, deadline=timedelta(seconds=2),
                   suppress_health_check=[HealthCheck.too_slow], database=None)

SCOPE = {
    "inputs.parameters.n": "7", "inputs.parameters.s": "aaaa!", "inputs.parameters.j": "[1,{}]",
    "steps.a.outputs.result": "heads", "steps.a.outputs.parameters.p": "x-y",
    "item": {"k": [1, 2.5, None, "v"]}, "workflow.name": "wf",
}

PIECES = st.sampled_from(list("()[]{}<>=!&|?:.,;#$%^*+-/~'\"`\\ _019aexs\n\t") +
                         ["é", "日", "\ud800", "{{", "}}", "{{=", "=~", "!~", "&&", "||", "??"])
WORDS = st.sampled_from([
    "(", ")", "[", "]", "{", "}", ",", ":", "?", "??", "?.", ".", "|", "#", "#index", "let",
    "=", ";", "+", "-", "*", "/", "%", "**", "^", "==", "!=", "<", "<=", ">", ">=", "..",
    "&&", "||", "!", "not", "and", "or", "in", "not in", "matches", "contains", "startsWith",
    "endsWith", "=~", "!~", "true", "false", "nil", "0", "1", "-1", "2.5", "1e308", "0x1F",
    "9223372036854775807", "'a'", "'(a+)+$'", "'[a-'", "\"b\\\"\"", "`c`", "x", "item",
    "item.k", "inputs.parameters.n", "inputs.parameters.s", "steps['a']", "steps.a.outputs",
    "workflow", "sprig", "sprig.upper", "sprig.regexFindAll", "sprig.regexReplaceAll",
    "sprig.regexSplit", "sprig.fromJson", "sprig.toJson", "sprig.repeat", "sprig.until",
    "len", "abs", "int", "float", "string", "toJSON", "fromJSON", "keys", "values", "map",
    "filter", "all", "any", "count", "sum", "reduce", "sortBy", "groupBy", "jsonpath",
    "asInt", "asFloat", "split", "join", "trim", "upper", "max", "min", "first", "last",
    "'$..a'", "'$[0]'", "{{", "}}", "{{=", "{{inputs.parameters.n}}", "{{item}}",
])
TEXTS = st.one_of(st.lists(PIECES, max_size=60).map("".join),
                  st.lists(WORDS, max_size=24).map(" ".join),
                  st.text(max_size=40))


def only_expression_errors(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except ExpressionError:
        return None


@BOUNDED
@given(TEXTS)
def test_expr_lang_raises_only_expression_errors(text):
    only_expression_errors(evaluate, text, SCOPE)


@BOUNDED
@given(TEXTS)
def test_when_raises_only_expression_errors(text):
    only_expression_errors(evaluate_when, text, SCOPE)


@BOUNDED
@given(TEXTS)
def test_tags_raise_only_expression_errors(text):
    for missing in ("error", "keep"):
        only_expression_errors(render, text, SCOPE, missing=missing)
        only_expression_errors(render, "{{=" + text + "}}", SCOPE, missing=missing)
    only_expression_errors(references, text)
    only_expression_errors(references, "{{= " + text + " }}")


REGEX = st.text(st.sampled_from(list("ab.()[]|*+?{}^$\\,:=!<>-PpLdDwWsSbBzCQE0129") + ["é"]),
                max_size=16)
SUBJECT = st.text(st.sampled_from(["a", "b", "!", " ", "\n", "é", "日", "\ud800"]), max_size=40)


@BOUNDED
@given(REGEX, SUBJECT, st.sampled_from(["X", "$1", "${1}", "$$", "$x", "${", ""]),
       st.integers(-2, 3))
def test_regex_functions_raise_only_expression_errors(pattern, subject, repl, n):
    scope = {"p": pattern, "s": subject, "r": repl, "n": n}
    for expr in ("s matches p", "sprig.regexMatch(p, s)", "sprig.regexFind(p, s)",
                 "sprig.regexFindAll(p, s, n)", "sprig.regexReplaceAll(p, s, r)",
                 "sprig.regexReplaceAllLiteral(p, s, r)", "sprig.regexSplit(p, s, n)"):
        only_expression_errors(evaluate, expr, scope)
    quoted = pattern.replace("\\", "\\\\").replace("'", "\\'")
    only_expression_errors(evaluate_when, f"'{subject}' =~ '{quoted}'", {})


# nesting of every kind, mixed, around the depth limit
WRAPS = {
    "paren": ("(", ")"), "neg": ("-", ""), "not": ("!", ""), "array": ("[", "]"),
    "call": ("abs(", ")"), "sprig": ("sprig.trim(", ")"), "map": ("{'k': ", "}"),
    "cond": ("true ? ", " : 0"), "member": ("{'k': ", "}.k"), "plus": ("1 + ", ""),
    "pred": ("map([1], ", ")"), "let": ("let v = 1; ", ""), "coalesce": ("nil ?? ", ""),
}


@BOUNDED
@given(st.lists(st.sampled_from(sorted(WRAPS)), min_size=1, max_size=160), st.sampled_from(
    ["1", "'x'", "true", "item", "inputs.parameters.n"]))
def test_any_nesting_gives_a_value_or_an_expression_error(kinds, core):
    text = core
    for kind in kinds:
        before, after = WRAPS[kind]
        text = before + text + after
    only_expression_errors(evaluate, text, SCOPE)
    only_expression_errors(references, "{{= " + text + " }}")
    when = core
    for kind in kinds:
        when = {"paren": "(%s)", "neg": "- %s", "not": "! %s", "plus": "1 + %s",
                "cond": "true ? %s"}.get(kind, "(%s)") % when
    only_expression_errors(evaluate_when, when, {})


JSON_LIKE = st.recursive(st.none() | st.booleans() | st.floats() | st.text(max_size=5),
                         lambda inner: st.lists(inner, max_size=3) |
                         st.dictionaries(st.text(max_size=3), inner, max_size=3),
                         max_leaves=30)


@BOUNDED
@given(JSON_LIKE)
def test_values_from_a_scope_format_or_raise_an_expression_error(value):
    scope = {"v": value}
    only_expression_errors(format_value, value)
    for expr in ("toJSON(v)", "string(v)", "v == v", "sprig.toJson(v)", "fromJSON(toJSON(v))",
                 "jsonpath(toJSON(v), '$..a')", "len(v)", "keys(v)"):
        only_expression_errors(evaluate, expr, scope)
