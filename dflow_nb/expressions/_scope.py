"""The nested, lazy view that expressions see of a FLAT scope of dotted names.

A scope maps dotted names to values: ``{"inputs.parameters.x": "3", "item": {"a": 1}}``.
Expressions navigate it as nested maps (``inputs.parameters.x``, ``steps['flip-coin']``); we
never copy or nest the scope, we index its key prefixes once and hand out views.

Rules (Argo's ``expand.Expand`` of the flat map):

* a name that is a prefix of longer names is a map of its children, even when the name itself
  also holds a value (the more specific keys win, as in Argo's ``removeConflicts``);
* otherwise the value stored under the name; None means "absent" and reads as nil;
* a missing member of a map is nil (expr-lang semantics), so ``x ?? 'd'`` works.

``Scope`` is a mutable mapping that keeps the index up to date as keys are added or removed,
and can layer a few names (``item``, ``retries``...) over a shared parent without copying it.
Callers with big scopes should pass a ``Scope``. A plain mapping also works: its index is built
on first use and cached (keyed by the object; re-validated against its key set each call, which
is a C-speed set comparison).
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterator, Mapping, MutableMapping, Optional

__all__ = ["Scope", "ScopeView", "Resolver", "MISSING", "resolver_for"]


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class _PrefixIndex:
    """prefix -> {child segment: number of keys below it}. The root prefix is ''."""

    __slots__ = ("children",)

    def __init__(self, keys: Any = ()) -> None:
        self.children: dict[str, dict[str, int]] = {"": {}}
        for k in keys:
            self.add(k)

    def add(self, key: str) -> None:
        children = self.children
        prefix = ""
        start = 0
        while True:
            dot = key.find(".", start)
            seg = key[start:] if dot < 0 else key[start:dot]
            kids = children.get(prefix)
            if kids is None:
                kids = children[prefix] = {}
            kids[seg] = kids.get(seg, 0) + 1
            if dot < 0:
                return
            prefix = key[:dot]
            start = dot + 1

    def remove(self, key: str) -> None:
        prefix = ""
        start = 0
        while True:
            dot = key.find(".", start)
            seg = key[start:] if dot < 0 else key[start:dot]
            kids = self.children[prefix]
            n = kids[seg] - 1
            if n:
                kids[seg] = n
            else:
                del kids[seg]
                if not kids and prefix:
                    del self.children[prefix]
            if dot < 0:
                return
            prefix = key[:dot]
            start = dot + 1


class Resolver:
    """What a view needs from a scope: is a name a prefix, its children, and a value."""

    __slots__ = ("data", "index", "parent")

    def __init__(self, data: Mapping[str, Any], index: _PrefixIndex,
                 parent: Optional["Resolver"] = None) -> None:
        self.data = data
        self.index = index
        self.parent = parent

    def is_prefix(self, name: str) -> bool:
        r: Optional[Resolver] = self
        while r is not None:
            if name in r.index.children:
                return True
            r = r.parent
        return False

    def child_names(self, name: str) -> list[str]:
        names: set[str] = set()
        r: Optional[Resolver] = self
        while r is not None:
            names.update(r.index.children.get(name, ()))
            r = r.parent
        return sorted(names)

    def value(self, name: str) -> Any:
        r: Optional[Resolver] = self
        while r is not None:
            data = r.data
            if name in data:
                return data[name]
            r = r.parent
        return MISSING

    def lookup(self, name: str) -> Any:
        """The expression-level value of a full dotted name: a view, a value, or MISSING."""
        if self.is_prefix(name):
            return ScopeView(self, name)
        return self.value(name)


class ScopeView:
    """A map-like, read-only view of the names below a prefix. Expressions treat it as a map;
    ``to_plain()`` materialises it (for toJson, equality...)."""

    __slots__ = ("_resolver", "prefix")

    def __init__(self, resolver: Resolver, prefix: str) -> None:
        self._resolver = resolver
        self.prefix = prefix

    def get_member(self, key: str) -> Any:
        """The member ``key``: a sub-view, a value, or MISSING."""
        full = key if not self.prefix else self.prefix + "." + key
        return self._resolver.lookup(full)

    def keys(self) -> list[str]:
        return self._resolver.child_names(self.prefix)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get_member(key) is not MISSING

    def __len__(self) -> int:
        return len(self.keys())

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def to_plain(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k in self.keys():
            v = self.get_member(k)
            if v is MISSING:
                continue
            if isinstance(v, ScopeView):
                v = v.to_plain()
            out[k] = v
        return out

    def __repr__(self) -> str:
        return f"ScopeView({self.prefix or '<root>'!r})"


class Scope(MutableMapping[str, Any]):
    """A flat name -> value mapping with an always-current prefix index, so expressions over
    scopes of any size cost the same. ``Scope(parent, {"item": ...})`` layers names over a
    shared parent scope without copying it (the engine's per-item scopes)."""

    def __init__(self, data: Optional[Mapping[str, Any]] = None,
                 overlay: Optional[Mapping[str, Any]] = None) -> None:
        parent: Optional[Scope] = None
        if isinstance(data, Scope) and overlay is not None:
            parent, data = data, overlay
        elif overlay is not None:
            data = {**(data or {}), **overlay}
        self._parent = parent
        self._data: dict[str, Any] = dict(data or {})
        self._index = _PrefixIndex(self._data)
        self._resolver: Resolver = Resolver(self._data, self._index,
                                            parent._resolver if parent is not None else None)

    def __getitem__(self, key: str) -> Any:
        if key in self._data:
            return self._data[key]
        if self._parent is not None:
            return self._parent[key]
        raise KeyError(key)

    def __setitem__(self, key: str, value: Any) -> None:
        if key not in self._data:
            self._index.add(key)
        self._data[key] = value

    def __delitem__(self, key: str) -> None:
        if key not in self._data:
            raise KeyError(key if self._parent is None or key not in self._parent
                           else f"{key} (held by the parent scope)")
        del self._data[key]
        self._index.remove(key)

    def __iter__(self) -> Iterator[str]:
        if self._parent is None:
            return iter(self._data)
        return iter(list(self._data) + [k for k in self._parent if k not in self._data])

    def __len__(self) -> int:
        if self._parent is None:
            return len(self._data)
        return len(self._data) + sum(1 for k in self._parent if k not in self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data or (self._parent is not None and key in self._parent)

    def __repr__(self) -> str:
        return f"Scope({len(self)} names)"


_TINY = 8
_CACHE: "OrderedDict[int, tuple[Mapping[str, Any], frozenset, Resolver]]" = OrderedDict()
_CACHE_SIZE = 32


def resolver_for(scope: Mapping[str, Any]) -> Resolver:
    """The resolver (prefix index + data) of any scope mapping."""
    if isinstance(scope, Scope):
        return scope._resolver
    if len(scope) <= _TINY:
        return Resolver(scope, _PrefixIndex(scope.keys()))
    key = id(scope)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is scope and scope.keys() == hit[1]:
        _CACHE.move_to_end(key)
        return hit[2]
    keys = frozenset(scope.keys())
    resolver = Resolver(scope, _PrefixIndex(keys))
    _CACHE[key] = (scope, keys, resolver)
    _CACHE.move_to_end(key)
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return resolver
