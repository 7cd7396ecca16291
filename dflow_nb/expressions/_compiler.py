"""expr-lang AST -> nested Python closures (``compile_node``), so evaluating an already-seen
expression is only calling them; nothing here calls eval/exec/compile on user text.

Identifiers resolve against a lazy nested view of the flat scope (see ``_scope``), plus
``sprig`` (the Sprig functions). An identifier the scope does not know, or a path through a nil
value, raises UnresolvedReference naming the whole dotted path. ``&&``/``||``/``!``/``?:``
need bools. Operations on literals only are folded at compile time.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from dflow_nb.expressions._ast import (
    Array,
    Binary,
    Builtin,
    Call,
    Chain,
    Cond,
    Fold,
    Ident,
    Let,
    Lets,
    Lit,
    MapLit,
    Member,
    Node,
    Pointer,
    Predicate,
    Slice,
    Unary,
    static_path,
)
from dflow_nb.expressions._builtins import BUILTINS
from dflow_nb.expressions._errors import ExpressionError, UnresolvedReference
from dflow_nb.expressions._func import Func
from dflow_nb.expressions._go_stdlib import wrap_int64
from dflow_nb.expressions._operators import BINOPS
from dflow_nb.expressions._parser import PREDICATES
from dflow_nb.expressions._predicates import PREDICATE_IMPLS, Loop
from dflow_nb.expressions._runtime import Ctx, Fn, NilChain, fetch, locate, show, slice_value
from dflow_nb.expressions._scope import MISSING, resolver_for
from dflow_nb.expressions._sprig import SPRIG, SPRIG_NAMESPACE, SPRIG_UNAVAILABLE
from dflow_nb.expressions._values import plain, type_name

__all__ = ["compile_node"]

# Errors a function implementation may raise on odd arguments; reported as the function's.
_CALL_ERRORS = (TypeError, ValueError, ArithmeticError, LookupError, AttributeError)


def compile_node(node: Node, lets: Lets) -> Fn:
    """The closure computing ``node``; ``lets`` are the names bound by enclosing ``let``s."""
    match node:
        case Lit():
            value = node.value
            return lambda ctx: value
        case Ident():
            return _ident(node, lets)
        case Pointer():
            return _pointer(node)
        case Member():
            return _member(node, lets)
        case Chain():
            return _chain(node, lets)
        case Slice():
            return _slice(node, lets)
        case Unary():
            return _fold(node, _unary(node, lets))
        case Binary():
            return _fold(node, _binary(node, lets))
        case Fold():
            return _fold(node, _fold_chain(node, lets))
        case Cond():
            return _cond(node, lets)
        case Array():
            fs = [compile_node(n, lets) for n in node.items]
            return lambda ctx: [f(ctx) for f in fs]
        case MapLit():
            return _map_literal(node, lets)
        case Builtin():
            if node.name in PREDICATES:
                return _predicate_builtin(node, lets)
            return _fold(node, _call(node.name, BUILTINS[node.name], node.args, lets, node.pos))
        case Call():
            return _dynamic_call(node, lets)
        case Let():
            return _let(node, lets)
        case Predicate():
            raise ExpressionError("a predicate is only allowed as an argument of map, "
                                  "filter...", position=node.pos)
    raise ExpressionError(f"cannot evaluate {type(node).__name__}",
                          position=node.pos)  # pragma: no cover


def _ident(node: Ident, lets: Lets) -> Fn:
    name, pos = node.name, node.pos
    if name in lets:
        return lambda ctx: ctx.vars[name]
    if name == "sprig":
        return lambda ctx: SPRIG_NAMESPACE

    def ident(ctx: Ctx) -> Any:
        v = ctx.resolver.lookup(name)
        if v is MISSING:
            raise UnresolvedReference(name, position=pos)
        return v
    return ident


def _pointer(node: Pointer) -> Fn:
    slot = {"": 0, "index": 1, "acc": 2}.get(node.name)
    if slot is None:
        raise ExpressionError(f"unknown pointer '#{node.name}' (use #, #index or #acc)",
                              position=node.pos)
    return lambda ctx: ctx.stack[-1][slot]


def _fast_path(path: str, slow: Fn) -> Fn:
    """A plain scope path: one index lookup; anything else (a dict value, nil...) goes the
    slow, step-by-step way, which gives the same result and the precise error."""
    def fast(ctx: Ctx) -> Any:
        v = ctx.resolver.lookup(path)
        if v is MISSING or v is None:
            return slow(ctx)
        return v
    return fast


def _member(node: Member, lets: Lets) -> Fn:
    pos = node.pos
    fo = compile_node(node.obj, lets)
    optional = node.optional
    obj_path = static_path(node.obj, lets)
    path = static_path(node, lets)
    member: Fn
    if isinstance(node.prop, Lit):
        key = node.prop.value

        def member(ctx: Ctx) -> Any:
            try:
                o = fo(ctx)
            except UnresolvedReference as e:
                if path is not None:
                    e.widen(path)
                raise
            try:
                return fetch(o, key, optional, obj_path)
            except ExpressionError as e:
                raise locate(e, pos)
    else:
        fk = compile_node(node.prop, lets)

        def member(ctx: Ctx) -> Any:
            o = fo(ctx)
            k = fk(ctx)
            try:
                return fetch(o, k, optional, obj_path)
            except ExpressionError as e:
                raise locate(e, pos)
    if path is not None:
        return _fast_path(path, member)
    return member


def _chain(node: Chain, lets: Lets) -> Fn:
    inner = compile_node(node.node, lets)
    path = static_path(node, lets)

    def chain(ctx: Ctx) -> Any:
        try:
            return inner(ctx)
        except NilChain:
            return None
    if path is not None:
        return _fast_path(path, chain)
    return chain


def _slice(node: Slice, lets: Lets) -> Fn:
    pos = node.pos
    fo = compile_node(node.obj, lets)
    flo = compile_node(node.lo, lets) if node.lo is not None else None
    fhi = compile_node(node.hi, lets) if node.hi is not None else None

    def slice_(ctx: Ctx) -> Any:
        o = fo(ctx)
        try:
            return slice_value(o, flo(ctx) if flo else None, fhi(ctx) if fhi else None)
        except ExpressionError as e:
            raise locate(e, pos)
    return slice_


def _unary(node: Unary, lets: Lets) -> Fn:
    f = compile_node(node.node, lets)
    pos = node.pos
    op = node.op
    if op in ("!", "not"):
        def not_(ctx: Ctx) -> Any:
            v = f(ctx)
            if v is True:
                return False
            if v is False:
                return True
            raise ExpressionError(f"{op!r} needs a bool, got {type_name(v)} {show(v)}",
                                  position=pos)
        return not_

    def sign(ctx: Ctx) -> Any:
        v = f(ctx)
        t = type(v)
        if t is int:
            return wrap_int64(-v) if op == "-" else v
        if t is float:
            return -v if op == "-" else v
        raise ExpressionError(f"invalid operation: {op} ({type_name(v)})", position=pos)
    return sign


Step = Callable[[Any, Fn, Ctx], Any]
"""One binary operation: the left value, the right operand (evaluated only if needed), the
context."""


def _combine(op: str, pos: int) -> Step:
    """What ``left op right`` does: ``&&``/``||`` and ``??`` evaluate the right side only when
    the left one does not settle the answer."""
    if op in ("&&", "and", "||", "or"):
        decisive = op in ("||", "or")   # the left value that settles the answer alone

        def logic(a: Any, fr: Fn, ctx: Ctx) -> Any:
            if a is decisive:
                return decisive
            if a is not (not decisive):
                raise ExpressionError(f"{op!r} needs bools, got {type_name(a)} {show(a)}",
                                      position=pos)
            b = fr(ctx)
            if type(b) is not bool:
                raise ExpressionError(f"{op!r} needs bools, got {type_name(b)} {show(b)}",
                                      position=pos)
            return b
        return logic
    if op == "??":
        def coalesce(a: Any, fr: Fn, ctx: Ctx) -> Any:
            return fr(ctx) if a is None else a
        return coalesce
    fn = BINOPS[op]

    def binary(a: Any, fr: Fn, ctx: Ctx) -> Any:
        b = fr(ctx)
        try:
            return fn(a, b)
        except ExpressionError as e:
            raise locate(e, pos)
    return binary


def _binary(node: Binary, lets: Lets) -> Fn:
    fl = compile_node(node.left, lets)
    fr = compile_node(node.right, lets)
    step = _combine(node.op, node.pos)
    return lambda ctx: step(fl(ctx), fr, ctx)


def _fold_chain(node: Fold, lets: Lets) -> Fn:
    """A flat chain in a loop: no recursion, however many operators it has."""
    first = compile_node(node.first, lets)
    steps = [(_combine(op, pos), compile_node(right, lets)) for op, right, pos in node.steps]

    def chain(ctx: Ctx) -> Any:
        acc = first(ctx)
        for step, fr in steps:
            acc = step(acc, fr, ctx)
        return acc
    return chain


def _cond(node: Cond, lets: Lets) -> Fn:
    pos = node.pos
    fc = compile_node(node.cond, lets)
    fb = compile_node(node.b, lets)
    if node.a is None:  # elvis a ?: b
        def elvis(ctx: Ctx) -> Any:
            c = fc(ctx)
            return fb(ctx) if c is None or c is False else c
        return elvis
    fa = compile_node(node.a, lets)

    def cond(ctx: Ctx) -> Any:
        c = fc(ctx)
        if c is True:
            return fa(ctx)
        if c is False:
            return fb(ctx)
        raise ExpressionError(f"the condition of '? :' must be a bool, got "
                              f"{type_name(c)} {show(c)}", position=pos)
    return _fold(node, cond)


def _map_literal(node: MapLit, lets: Lets) -> Fn:
    pos = node.pos
    fps = [(compile_node(k, lets), compile_node(v, lets)) for k, v in node.pairs]

    def map_lit(ctx: Ctx) -> Any:
        out = {}
        for fk, fv in fps:
            k = fk(ctx)
            try:
                out[k] = fv(ctx)
            except TypeError:
                raise ExpressionError(f"cannot use {type_name(k)} as a map key",
                                      position=pos) from None
        return out
    return map_lit


def _let(node: Let, lets: Lets) -> Fn:
    fv = compile_node(node.value, lets)
    fbody = compile_node(node.body, lets | {node.name})
    vname = node.name

    def let(ctx: Ctx) -> Any:
        old = ctx.vars.get(vname, MISSING)
        ctx.vars[vname] = fv(ctx)
        try:
            return fbody(ctx)
        finally:
            if old is MISSING:
                del ctx.vars[vname]
            else:
                ctx.vars[vname] = old
    return let


def _call_guard(name: str, pos: int, fn: Callable[..., Any], args: list[Any]) -> Any:
    try:
        return fn(*args)
    except ExpressionError as e:
        raise locate(e, pos)
    except _CALL_ERRORS as e:
        raise ExpressionError(f"{name}: {e}", position=pos) from None


def _call(name: str, func: Func, arg_nodes: tuple[Node, ...], lets: Lets, pos: int) -> Fn:
    fs = [compile_node(a, lets) for a in arg_nodes]
    fn = func.fn
    if len(fs) == 1:
        f0 = fs[0]

        def call1(ctx: Ctx) -> Any:
            a = f0(ctx)
            try:
                return fn(a)
            except ExpressionError as e:
                raise locate(e, pos)
            except _CALL_ERRORS as e:
                raise ExpressionError(f"{name}: {e}", position=pos) from None
        return call1

    def call(ctx: Ctx) -> Any:
        return _call_guard(name, pos, fn, [f(ctx) for f in fs])
    return call


def _dynamic_call(node: Call, lets: Lets) -> Fn:
    callee = node.callee
    pos = node.pos
    if isinstance(callee, Ident) and callee.name not in lets:
        raise ExpressionError(f"unknown function {callee.name!r}", position=callee.pos)
    if isinstance(callee, Member) and isinstance(callee.obj, Ident) \
            and callee.obj.name == "sprig" and "sprig" not in lets \
            and isinstance(callee.prop, Lit):
        fname = f"sprig.{callee.prop.value}"
        func = SPRIG.get(callee.prop.value)
        if func is None:
            why = SPRIG_UNAVAILABLE.get(callee.prop.value)
            raise ExpressionError(f"{fname} is not available here: {why}" if why else
                                  f"unknown function {fname!r}", position=callee.pos)
        func.check_arity(fname, len(node.args), callee.pos)
        return _call(fname, func, node.args, lets, callee.pos)
    fcallee = compile_node(callee, lets)
    fs = [compile_node(a, lets) for a in node.args]
    label = static_path(callee, frozenset()) or "value"

    def dyn(ctx: Ctx) -> Any:
        target = fcallee(ctx)
        args = [f(ctx) for f in fs]
        if isinstance(target, Func):
            target.check_arity(label, len(args), pos)
            return _call_guard(label, pos, target.fn, args)
        if target is None:
            raise ExpressionError(f"unknown function {label!r}", position=pos)
        raise ExpressionError(f"{label!r} is not a function (it is {type_name(target)})",
                              position=pos)
    return dyn


_NO_SCOPE = resolver_for({})


def _fold(node: Node, fn: Fn) -> Fn:
    """Evaluate now if every operand is a literal (and it does not fail)."""
    if all(isinstance(c, Lit) for c in node.children()):
        try:
            value = fn(Ctx(_NO_SCOPE))
        except ExpressionError:
            return fn
        if type(value) in (int, float, str, bool) or value is None:
            return lambda ctx: value
    return fn


def _predicate_builtin(node: Builtin, lets: Lets) -> Fn:
    name = node.name
    pos = node.pos
    fcoll = compile_node(node.args[0], lets)
    pred: Optional[Node] = node.args[1] if len(node.args) > 1 else None
    fpred: Fn
    if isinstance(pred, Predicate):
        fpred = compile_node(pred.node, lets)
    else:  # count(xs) / sum(xs): the elements themselves
        def fpred(ctx: Ctx) -> Any:
            return ctx.stack[-1][0]
    fextra = compile_node(node.args[2], lets) if len(node.args) > 2 else None
    impl = PREDICATE_IMPLS[name]

    def run(ctx: Ctx) -> Any:
        coll = plain(fcoll(ctx))
        if not isinstance(coll, (list, tuple)):
            raise ExpressionError(f"{name}: cannot iterate over {type_name(coll)}"
                                  f"{' (nil)' if coll is None else ''}", position=pos)
        extra = fextra(ctx) if fextra is not None else MISSING
        frame: list[Any] = [None, 0, None]

        def value(item: Any, index: int) -> Any:
            frame[0] = item
            frame[1] = index
            return fpred(ctx)

        def test(item: Any, index: int) -> bool:
            frame[0] = item
            frame[1] = index
            v = fpred(ctx)
            if type(v) is bool:
                return v
            raise ExpressionError(f"{name}: the predicate must return a bool, got "
                                  f"{type_name(v)} {show(v)}", position=pos)
        ctx.stack.append(frame)
        try:
            return impl(Loop(list(coll), value, test, extra, frame, pos))
        finally:
            ctx.stack.pop()
    return run
