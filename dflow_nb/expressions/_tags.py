"""Finding and substituting ``{{ ... }}`` tags in text: ``render``, ``references``,
``evaluate_when``.

* A simple tag ``{{ name }}`` ends at the first ``}}``; the name is looked up as a whole
  (``steps.a-b.outputs.parameters.p``); if absent, the longest dotted prefix holding a map is
  descended into (``{{item.key}}`` with ``item = {"key": ...}``).
* An expression tag ``{{= expr }}`` ends at the first ``}}`` that is outside strings and
  outside brackets/braces, so ``{{= {'a': {'b': '}}'}} }}`` works.
* A scope value of None means "absent" (e.g. the output of a skipped step): the tag is
  unresolved.
"""
from __future__ import annotations

from typing import Any, Iterator, Mapping, NamedTuple

from dflow_nb.expressions._errors import ExpressionError, UnresolvedReference
from dflow_nb.expressions._values import format_value, go_sprint

# The parsers (expr-lang with Argo's environment and Sprig, govaluate) are imported when a text
# first holds a ``{{= }}`` tag or a ``when``: plain ``{{name}}`` tags are only looked up.

__all__ = ["Tag", "iter_tags", "render", "references", "evaluate_when"]


class Tag(NamedTuple):
    """One tag found in a text: ``text[start:end]`` is the whole ``{{...}}``."""
    start: int
    end: int
    is_expression: bool
    body: str        # the name (stripped) or the expression source
    body_start: int  # offset of body in the text


def _skip_string(text: str, i: int) -> int:
    """Index after the string literal starting at text[i], or -1 if it is not closed."""
    q = text[i]
    j = i + 1
    n = len(text)
    while j < n:
        c = text[j]
        if c == "\\" and q != "`":
            j += 2
            continue
        if c == q:
            return j + 1
        j += 1
    return -1


def _expression_end(text: str, i: int) -> int:
    """Index of the '}}' closing an expression tag whose body starts at i, or -1."""
    depth = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c in "'\"`":
            j = _skip_string(text, i)
            if j < 0:
                return -1
            i = j
            continue
        if c in "([{":
            depth += 1
        elif c in ")]":
            depth = max(depth - 1, 0)
        elif c == "}":
            if depth == 0 and text.startswith("}}", i):
                return i
            depth = max(depth - 1, 0)
        i += 1
    return -1


def iter_tags(text: str) -> Iterator[Tag]:
    """Yield the tags of ``text`` in order. An unclosed ``{{`` raises ExpressionError."""
    pos = 0
    while True:
        start = text.find("{{", pos)
        if start < 0:
            return
        i = start + 2
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        if text.startswith("=", i):
            body_start = i + 1
            end = _expression_end(text, body_start)
            if end < 0:  # fall back to Argo's rule (first '}}') for a clear parse error
                end = text.find("}}", body_start)
            if end < 0:
                raise ExpressionError("unclosed tag: no '}}' after '{{='",
                                      expression=text[start:], position=0, kind="text")
            raw = text[body_start:end]
            lead = len(raw) - len(raw.lstrip())
            yield Tag(start, end + 2, True, raw.strip(), body_start + lead)
        else:
            end = text.find("}}", start + 2)
            if end < 0:
                raise ExpressionError("unclosed tag: no '}}' after '{{'",
                                      expression=text[start:], position=0, kind="text")
            raw = text[start + 2:end]
            yield Tag(start, end + 2, False, raw.strip(), start + 2 + (len(raw) - len(raw.lstrip())))
        pos = end + 2


_ABSENT = object()


def lookup_tag(name: str, scope: Mapping[str, Any]) -> Any:
    """The value of a simple tag, or _ABSENT. Exact name first, then a map-valued prefix."""
    v = scope.get(name, _ABSENT) if hasattr(scope, "get") else _ABSENT
    if v is not _ABSENT:
        return _ABSENT if v is None else v
    dot = name.rfind(".")
    while dot > 0:
        base = scope.get(name[:dot], _ABSENT)
        if isinstance(base, dict):
            cur: Any = base
            for seg in name[dot + 1:].split("."):
                if isinstance(cur, dict) and seg in cur:
                    cur = cur[seg]
                else:
                    return _ABSENT
            return _ABSENT if cur is None else cur
        if base is not _ABSENT:
            return _ABSENT
        dot = name.rfind(".", 0, dot)
    return _ABSENT


def render(text: str, scope: Mapping[str, Any], *, missing: str = "error") -> str:
    """Substitute every ``{{ name }}`` and ``{{= expr }}`` tag of ``text`` (values inserted
    with ``format_value``). ``missing="error"`` raises UnresolvedReference for an unknown or
    absent name; ``missing="keep"`` leaves such tags (and expression tags that cannot be
    evaluated yet) untouched, for partial rendering. Syntax errors always raise."""
    if missing not in ("error", "keep"):
        raise ValueError(f"missing must be 'error' or 'keep', not {missing!r}")
    if "{{" not in text:
        return text
    keep = missing == "keep"
    out: list[str] = []
    pos = 0
    for tag in iter_tags(text):
        out.append(text[pos:tag.start])
        pos = tag.end
        whole = text[tag.start:tag.end]
        if not tag.is_expression:
            value = lookup_tag(tag.body, scope)
            if value is _ABSENT:
                if keep:
                    out.append(whole)
                    continue
                raise UnresolvedReference(tag.body, "no such name in scope" if
                                          tag.body not in scope else "it has no value",
                                          expression=whole, kind="tag")
            out.append(format_value(value))
            continue
        from dflow_nb.expressions._parser import parse
        from dflow_nb.expressions.exprlang import evaluate
        try:
            parse(tag.body)
        except ExpressionError as e:
            raise e.bind(tag.body) from None
        try:
            value = evaluate(tag.body, scope)
        except ExpressionError:
            if keep:
                out.append(whole)
                continue
            raise
        if value is None:
            if keep:
                out.append(whole)
                continue
            raise ExpressionError("evaluated to nil (a missing value?); use '??' to give "
                                  "a default", expression=tag.body)
        out.append(format_value(value))
    out.append(text[pos:])
    return "".join(out)


def references(text: str) -> list[str]:
    """Dotted names that ``text`` reads: simple tag names and the paths used inside
    ``{{= }}`` expressions (``steps['a'].outputs.parameters.p`` gives
    ``steps.a.outputs.parameters.p``), in order of appearance, without repeats."""
    out: list[str] = []
    seen: set[str] = set()
    for tag in iter_tags(text):
        if tag.is_expression:
            from dflow_nb.expressions.exprlang import expr_references
            names = expr_references(tag.body)
        else:
            names = [tag.body]
        for name in names:
            if name not in seen:
                seen.add(name)
                out.append(name)
    return out


def evaluate_when(text: str, scope: Mapping[str, Any]) -> bool:
    """Argo's ``when``: render every tag as text, then evaluate the result with govaluate
    (bare words are strings). An empty condition is true. Anything but a bool is an error."""
    rendered = render(text, scope)
    if not rendered.strip():
        return True
    from dflow_nb.expressions._govaluate import evaluate_govaluate
    try:
        result = evaluate_govaluate(rendered)
    except ExpressionError as e:
        raise e.bind(rendered, "when condition") from None
    if type(result) is not bool:
        shown = go_sprint(result) if result is not None else "nil"
        raise ExpressionError(f"when {rendered!r} evaluated to {shown}, expected true or false")
    return result
