"""The functions Argo's expressions offer (docs/variables.md, "Expression"): expr-lang's
builtins, Argo's ``asInt``/``asFloat``/``string``/``toJson``/``jsonpath``, and every Sprig
function but those Argo removes or that would reach outside the expression."""
import json

import pytest

from dflow_nb.expressions import ExpressionError, evaluate, render
from dflow_nb.expressions._sprig import SPRIG, SPRIG_UNAVAILABLE

SCOPE = {
    "inputs.parameters.my-int-param": "41",
    "inputs.parameters.my-float-param": "2.5",
    "inputs.parameters.my-string-param": "  text \n",
    "inputs.parameters.json": json.dumps({"some": {"path": "found"}, "tag": "{{= 1 + 1 }}"}),
}

# Sprig v3's GenericFuncMap, by name: what an Argo expression can call after "sprig."
SPRIG_GENERIC = """
hello ago date date_in_zone date_modify dateInZone dateModify duration durationRound htmlDate
htmlDateInZone must_date_modify mustDateModify mustToDate now toDate unixEpoch abbrev
abbrevboth trunc trim upper lower title untitle substr repeat trimall trimAll trimSuffix
trimPrefix nospace initials randAlphaNum randAlpha randAscii randNumeric swapcase shuffle
snakecase camelcase kebabcase wrap wrapWith contains hasPrefix hasSuffix quote squote cat
indent nindent replace plural sha1sum sha256sum sha512sum adler32sum toString atoi int64 int
float64 seq toDecimal split splitList splitn toStrings until untilStep add1 add sub div mod mul
randInt add1f addf subf divf mulf biggest max min maxf minf ceil floor round join sortAlpha
default empty coalesce all any compact mustCompact fromJson toJson toPrettyJson toRawJson
mustFromJson mustToJson mustToPrettyJson mustToRawJson ternary deepCopy mustDeepCopy typeOf
typeIs typeIsLike kindOf kindIs deepEqual env expandenv getHostByName base dir clean ext isAbs
osBase osClean osDir osExt osIsAbs b64enc b64dec b32enc b32dec tuple list dict get set unset
hasKey pluck keys pick omit merge mergeOverwrite mustMerge mustMergeOverwrite values append
push mustAppend mustPush prepend mustPrepend first mustFirst rest mustRest last mustLast initial
mustInitial reverse mustReverse uniq mustUniq without mustWithout has mustHas slice mustSlice
concat dig chunk mustChunk bcrypt htpasswd genPrivateKey derivePassword buildCustomCert genCA
genCAWithKey genSelfSignedCert genSelfSignedCertWithKey genSignedCert genSignedCertWithKey
encryptAES decryptAES randBytes uuidv4 semver semverCompare fail regexMatch mustRegexMatch
regexFindAll mustRegexFindAll regexFind mustRegexFind regexReplaceAll mustRegexReplaceAll
regexReplaceAllLiteral mustRegexReplaceAllLiteral regexSplit mustRegexSplit regexQuoteMeta
urlParse urlJoin
""".split()


def test_every_sprig_function_is_offered_or_refused_with_a_reason():
    missing = [n for n in SPRIG_GENERIC if n not in SPRIG and n not in SPRIG_UNAVAILABLE]
    assert missing == []
    assert not set(SPRIG) & set(SPRIG_UNAVAILABLE)
    assert {"env", "expandenv"} <= set(SPRIG_UNAVAILABLE)   # Argo deletes these two


@pytest.mark.parametrize("expr, expected", [
    # docs/variables.md's examples
    ("[1, 2]", [1, 2]),
    ("filter([1, 2], { # > 1})", [2]),
    ("map([1, 2], { # * 2 })", [2, 4]),
    ("asInt(inputs.parameters['my-int-param'])", 41),
    ("asFloat(inputs.parameters['my-float-param'])", 2.5),
    ("string(1)", "1"),
    ("toJson([1, 2])", "[1,2]"),
    ("jsonpath(inputs.parameters.json, '$.some.path')", "found"),
    ("sprig.trim(inputs.parameters['my-string-param'])", "text"),
    # a parameter's value is data: the tag text it holds is never evaluated
    ("jsonpath(inputs.parameters.json, '$.tag')", "{{= 1 + 1 }}"),
    # expr-lang's bit builtins (Go int64)
    ("bitand(14, 11)", 10), ("bitor(12, 3)", 15), ("bitxor(5, 3)", 6), ("bitnand(14, 11)", 4),
    ("bitnot(5)", -6), ("bitshl(1, 62)", 1 << 62), ("bitshl(1, 63)", -(1 << 63)),
    ("bitshr(-8, 1)", -4), ("bitushr(-5, 2)", 4611686018427387902),
])
def test_argo_documented_function(expr, expected):
    assert evaluate(expr, SCOPE) == expected


def test_a_tag_reading_a_value_that_holds_tags_inserts_it_as_it_is():
    text = "{{=jsonpath(inputs.parameters.json, '$.tag')}} and {{inputs.parameters.json}}"
    assert render(text, SCOPE) == "{{= 1 + 1 }} and " + SCOPE["inputs.parameters.json"]


@pytest.mark.parametrize("expr, message", [
    ("bitshl(1, -1)", "bitshl: negative shift amount -1"),
    ("bitand(1, '2')", "bitand: argument 2 must be an int, got string"),
    ("asInt('x')", "asInt: cannot parse 'x' as an integer"),
    ("jsonpath('{oops', '$.a')", "jsonpath"),
])
def test_argo_function_misuse_names_the_function(expr, message):
    with pytest.raises(ExpressionError, match=message):
        evaluate(expr, SCOPE)
