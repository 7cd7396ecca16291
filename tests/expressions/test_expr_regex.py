"""Regular expressions behave as Go's regexp package, which Argo uses for ``=~``/``!~``,
expr-lang's ``matches`` and Sprig's ``regex*`` functions: RE2 syntax, ``$`` at the very end,
ASCII ``\\d``/``\\w``/``\\s``, Go's rules for empty matches and ``$1`` templates. Expected values
are the outputs printed in the Go documentation of package regexp, or follow from its rules."""
import pytest

from dflow_nb.expressions import ExpressionError, evaluate, evaluate_when


def sprig(call, **scope):
    return evaluate(f"sprig.{call}", scope)


@pytest.mark.parametrize("template,expected", [
    ("T", "-T-T-"), ("$1", "--xx-"), ("$1W", "---"), ("${1}W", "-W-xxW-"),
    ("$$1", "-$1-$1-"), ("$", "-$-$-"), ("${1", "-${1-${1-"), ("$2", "---"),
])
def test_replace_all_expands_dollar_templates_as_go(template, expected):
    assert sprig("regexReplaceAll('a(x*)b', '-ab-axxb-', t)", t=template) == expected


def test_replace_all_expands_named_groups():
    assert sprig("regexReplaceAll('a(?P<mid>x*)b', '-ab-axxb-', '<${mid}>')") == "-<>-<xx>-"
    assert sprig("regexReplaceAll('a(?P<mid>x*)b', '-ab-axxb-', '$nope')") == "---"


def test_replace_all_literal_keeps_dollars():
    assert sprig("regexReplaceAllLiteral('a(x*)b', '-ab-axxb-', '$1')") == "-$1-$1-"


def test_empty_matches_follow_go():
    # Go ignores an empty match right after a previous match
    assert sprig("regexFindAll('a*', 'baaac', -1)") == ["", "aaa", ""]
    assert sprig("regexReplaceAll('a*', 'baaac', 'X')") == "XbXcX"


@pytest.mark.parametrize("text,n,expected", [
    ("paranormal", -1, ["ar", "an", "al"]), ("paranormal", 2, ["ar", "an"]),
    ("graal", -1, ["aa"]), ("none", -1, []), ("paranormal", 0, []),
])
def test_find_all(text, n, expected):
    assert sprig("regexFindAll('a.', s, n)", s=text, n=n) == expected


@pytest.mark.parametrize("regex,text,n,expected", [
    ("a", "banana", -1, ["b", "n", "n", ""]), ("a", "banana", 0, []),
    ("a", "banana", 1, ["banana"]), ("a", "banana", 2, ["b", "nana"]),
    ("z+", "pizza", -1, ["pi", "a"]), ("z+", "pizza", 2, ["pi", "a"]),
    ("a*", "abaabaccadaaae", 5, ["", "b", "b", "c", "cadaaae"]),
    ("x", "", -1, [""]),
])
def test_split_keeps_the_rest_in_the_last_piece(regex, text, n, expected):
    assert sprig("regexSplit(r, s, n)", r=regex, s=text, n=n) == expected


def test_find_returns_the_leftmost_first_match():
    assert sprig("regexFind('a|ab', 'xab')") == "a"      # leftmost-first, not longest
    assert sprig("regexFind('z', 'abc')") == ""


@pytest.mark.parametrize("text,pattern,expected", [
    ("a\n", "a$", False),         # Go's $ is the end of the text, not before a final newline
    ("ab", "b\\z", True),
    ("\u0663", "\\d", False),     # ASCII \d, \w and \s, where Python's re takes any Unicode
    ("\u00e9", "^\\w$", False),
    ("\u00a0", "\\s", False),
    ("\u00e9", "^\\pL$", True),
    ("AbC", "(?i)^abc$", True),
])
def test_go_syntax_and_classes(text, pattern, expected):
    assert evaluate("s matches p", {"s": text, "p": pattern}) is expected
    assert sprig("regexMatch(p, s)", s=text, p=pattern) is expected


def test_when_matches_anywhere_in_the_text():
    assert evaluate_when("'{{inputs.parameters.s}}' =~ 'a$'", {"inputs.parameters.s": "a\n"}) \
        is False
    assert evaluate_when("heads =~ 'ea'", {}) is True


@pytest.mark.parametrize("pattern", ["(a)\\1", "a(?=b)", "(?<!a)b", "a\\C", "a\\Z", "(", "a{2,1}",
                                     "a{1001}"])
def test_what_go_rejects_is_a_clear_error(pattern):
    with pytest.raises(ExpressionError, match="regular expression|regexp"):
        evaluate("'ab' matches p", {"p": pattern})
    quoted = pattern.replace("\\", "\\\\")  # a when's string literal drops one backslash
    with pytest.raises(ExpressionError, match="Unable to compile regexp pattern"):
        evaluate_when(f"ab =~ '{quoted}'", {})


def test_a_bad_pattern_makes_regex_match_false_as_in_sprig():
    # sprig's regexMatch drops the compile error and returns false
    assert sprig("regexMatch('(', 'x')") is False
    with pytest.raises(ExpressionError, match="regular expression"):
        sprig("regexFind('(', 'x')")
