"""jsonpickle's text format, read and written as data only.

jsonpickle (which Dflow uses for parameters) rebuilds whatever its text names: it imports
modules and calls what ``py/reduce``, ``py/function``, ``py/type``, ``py/newargs`` or ``py/repr``
say, so a step's output text is code to whoever decodes it. This module reads the same format
with data-only rules:

- tuples, sets, bytes (``py/tuple``, ``py/set``, ``py/b64``, ``py/b85``), shared references
  (``py/id``) and dict keys that are not strings (``json://...``);
- ``py/object`` of a class the reader names (``classes``: an OP's declared types and the
  registered ones), built with ``cls.__new__(cls)`` and its plain state (attributes, or
  ``__setstate__`` when the class defines it), an ``Enum`` member by value, a namedtuple by its
  items. No dunder attribute is set, no module is imported, nothing else is called;
- anything else (other classes, other tags) stays the JSON it is, as data.

The writer emits only what the reader restores, in jsonpickle's format (jsonpickle and Dflow
read it), and raises ``TypeError`` for the rest: a function, an open file, a module...
"""
from __future__ import annotations

import base64
import binascii
import enum
import json
from typing import Any, Dict, Iterable, List, Optional, Set

OBJECT, STATE, NEWARGS, SEQ = "py/object", "py/state", "py/newargs", "py/seq"
TUPLE, SET, B64, B85, ID = "py/tuple", "py/set", "py/b64", "py/b85", "py/id"
REDUCE, TYPE = "py/reduce", "py/type"
JSON_KEY = "json://"
#: jsonpickle's order of precedence when a dict carries several tags (unpickler._restore_tags).
TAGS = (TUPLE, SET, B64, B85, ID, "py/iterator", OBJECT, TYPE, REDUCE, "py/function",
        "py/mod", "py/repr")
MAX_DEPTH = 100
_HEAPTYPE = 1 << 9   # Py_TPFLAGS_HEAPTYPE: a class written in Python, not a builtin


def class_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


class _Refused(Exception):
    """A node that is not data by the rules above: it stays JSON."""


class Reader:
    """One decode: the allowed classes and jsonpickle's reference table (``py/id``).

    ``declared``: the reader's own types, also found by their qualified name alone;
    ``registered``: found by their full name only.
    """

    def __init__(self, declared: Iterable[type], registered: Iterable[type] = ()) -> None:
        self.declared = list(declared)
        self.classes: Dict[str, type] = {class_name(c): c for c in [*registered, *self.declared]}
        self.objs: List[Any] = []       # what jsonpickle numbers, in its order
        self.exact_upto: Optional[int] = None   # refs past a refused node are not known

    def restore(self, node: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise ValueError(f"the value is nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, list):
            out: List[Any] = []
            self.objs.append(out)
            out.extend(self.restore(v, depth + 1) for v in node)
            return out
        if not isinstance(node, dict):
            return node
        tag = next((t for t in TAGS if t in node), None)
        if tag is None:
            return self._dict(node, depth)
        mark = len(self.objs)
        try:
            return self._tagged(tag, node, depth)
        except _Refused:
            del self.objs[mark:]
            if self.exact_upto is None:
                self.exact_upto = mark
            return node

    def _dict(self, node: Dict[str, Any], depth: int) -> Dict[Any, Any]:
        out: Dict[Any, Any] = {}
        self.objs.append(out)
        for k, v in node.items():        # jsonpickle: plain keys first, then json:// keys
            if not k.startswith(JSON_KEY):
                out[k] = self.restore(v, depth + 1)
        for k, v in node.items():
            if k.startswith(JSON_KEY):
                out[self._key(k, depth)] = self.restore(v, depth + 1)
        return out

    def _key(self, text: str, depth: int) -> Any:
        try:
            key = self.restore(json.loads(text[len(JSON_KEY):]), depth + 1)
            hash(key)
        except (ValueError, TypeError):
            return text
        return key

    def _tagged(self, tag: str, node: Dict[str, Any], depth: int) -> Any:
        value = node[tag]
        if tag == TUPLE and isinstance(value, list):
            return tuple(self.restore(v, depth + 1) for v in value)
        if tag == SET and isinstance(value, list):
            try:
                return {self.restore(v, depth + 1) for v in value}
            except TypeError:
                raise _Refused from None
        if tag in (B64, B85) and isinstance(value, str):
            try:
                return (base64.b64decode if tag == B64 else base64.b85decode)(value)
            except (ValueError, binascii.Error):
                raise _Refused from None
        if tag == ID and type(value) is int:
            limit = len(self.objs) if self.exact_upto is None else self.exact_upto
            if 0 <= value < limit:
                return self.objs[value]
        if tag == OBJECT and isinstance(value, str):
            return self._object(self._class(value), node, depth)
        if tag == REDUCE:
            return self._enum(value, depth)
        raise _Refused

    def _class(self, name: str) -> type:
        """The allowed class ``name`` means: by its full name, else by its qualified name alone
        (a class of ``__main__`` where it was written may live elsewhere where it is read)."""
        cls = self.classes.get(name)
        if cls is None:
            same = [c for c in self.declared
                    if name == c.__qualname__ or name.endswith("." + c.__qualname__)]
            cls = same[0] if len(same) == 1 else None
        if cls is None:
            raise _Refused
        return cls

    def _object(self, cls: type, node: Dict[str, Any], depth: int) -> Any:
        extra = [k for k in node if k.startswith("py/") and k not in (OBJECT, STATE, NEWARGS, SEQ)]
        attrs = {k: v for k, v in node.items() if not k.startswith("py/")}
        if extra or any(k.startswith("__") for k in attrs):
            raise _Refused
        slot = len(self.objs)
        self.objs.append(None)
        if issubclass(cls, tuple):       # a namedtuple: built from its items
            args = node.get(NEWARGS)
            if attrs or STATE in node or not (isinstance(args, dict) and set(args) == {TUPLE}):
                raise _Refused
            items = self.restore(args, depth + 1)
            try:
                instance = cls.__new__(cls, *items)
            except TypeError:
                raise _Refused from None
            self.objs[slot] = instance
            return instance
        if NEWARGS in node or SEQ in node or issubclass(cls, enum.Enum):
            raise _Refused
        new: Any = cls.__new__
        try:
            instance = new(cls)
        except TypeError:
            raise _Refused from None
        self.objs[slot] = instance
        self._set(instance, {k: self.restore(v, depth + 1) for k, v in attrs.items()})
        if STATE in node:
            state = self.restore(node[STATE], depth + 1)
            setstate = getattr(cls, "__setstate__", None)
            if setstate is not None:
                try:
                    setstate(instance, state)
                except Exception:
                    raise _Refused from None
            elif isinstance(state, dict):
                self._set(instance, state)
            elif isinstance(state, tuple) and len(state) == 2 and isinstance(state[1], dict):
                self._set(instance, state[0] or {})     # (__dict__ or None, slots)
                self._set(instance, state[1])
            else:
                raise _Refused
        return instance

    @staticmethod
    def _set(instance: Any, attrs: Any) -> None:
        if not isinstance(attrs, dict):
            raise _Refused
        for k, v in attrs.items():
            if not isinstance(k, str) or k.startswith("__"):
                raise _Refused
            try:
                object.__setattr__(instance, k, v)
            except (AttributeError, TypeError):
                raise _Refused from None

    def _enum(self, value: Any, depth: int) -> Any:
        """``[{"py/type": <an allowed Enum>}, {"py/tuple": [v]}]``: the member with value v."""
        if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], dict)
                and set(value[0]) == {TYPE} and isinstance(value[0][TYPE], str)
                and isinstance(value[1], dict) and set(value[1]) == {TUPLE}):
            raise _Refused
        cls = self._class(value[0][TYPE])
        slot = len(self.objs)
        self.objs.append(None)
        args = self.restore(value[1], depth + 1)
        if not issubclass(cls, enum.Enum) or len(args) != 1:
            raise _Refused
        try:
            member = cls(args[0])
        except (ValueError, TypeError):
            raise _Refused from None
        self.objs[slot] = member
        return member


def write(value: Any, where: str = "value", depth: int = 0,
          seen: Optional[Set[int]] = None) -> Any:
    """``value`` as a JSON-able tree in jsonpickle's format; TypeError names what is not data."""
    if value is None or type(value) in (bool, int, float, str):
        return value
    if depth > MAX_DEPTH:
        raise TypeError(f"{where} is nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, enum.Enum):
        return {REDUCE: [{TYPE: class_name(type(value))},
                         {TUPLE: [write(value.value, f"{where}.value", depth + 1)]}]}
    for base in (bool, int, float, str):
        if isinstance(value, base):
            return base(value)
    seen = set() if seen is None else seen
    if id(value) in seen:
        raise TypeError(f"{where} contains itself")
    seen.add(id(value))
    try:
        return _write_container(value, where, depth, seen)
    finally:
        seen.discard(id(value))


def _write_container(value: Any, where: str, depth: int, seen: Set[int]) -> Any:
    def items(values: Iterable[Any], fmt: str) -> List[Any]:
        return [write(v, fmt.format(i), depth + 1, seen) for i, v in enumerate(values)]

    if isinstance(value, tuple) and hasattr(type(value), "_fields"):     # a namedtuple
        return {OBJECT: class_name(type(value)), NEWARGS: {TUPLE: items(value, where + "[{}]")}}
    if isinstance(value, dict):
        return {k if isinstance(k, str) else
                JSON_KEY + json.dumps(write(k, f"{where} key {k!r}", depth + 1, seen)):
                write(v, f"{where}[{k!r}]", depth + 1, seen) for k, v in value.items()}
    if isinstance(value, list):
        return items(value, where + "[{}]")
    if isinstance(value, tuple):
        return {TUPLE: items(value, where + "[{}]")}
    if isinstance(value, (set, frozenset)):
        return {SET: items(value, where + " item {}")}
    if isinstance(value, (bytes, bytearray)):
        return {B64: base64.b64encode(value).decode()}
    return _write_object(value, where, depth, seen)


def _write_object(value: Any, where: str, depth: int, seen: Set[int]) -> Any:
    tp = type(value)
    if not tp.__flags__ & _HEAPTYPE or isinstance(value, type) \
            or tp.__reduce_ex__ is not object.__reduce_ex__ \
            or tp.__reduce__ is not object.__reduce__:
        raise TypeError(f"{where}: a {tp.__name__} is not data (rebuilding it would need code)")
    out: Dict[str, Any] = {OBJECT: class_name(tp)}
    if getattr(tp, "__getstate__", None) is not getattr(object, "__getstate__", None):
        # the class's own state protocol
        out[STATE] = write(value.__getstate__(), f"{where} state", depth + 1, seen)
        return out
    attrs: Dict[str, Any] = dict(getattr(value, "__dict__", {}))
    for klass in tp.__mro__:
        slots = getattr(klass, "__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if not name.startswith("__") and hasattr(value, name):
                attrs[name] = getattr(value, name)
    for k, v in attrs.items():
        if not isinstance(k, str) or k.startswith("__") or k.startswith("py/"):
            raise TypeError(f"{where}: attribute {k!r} cannot be written as data")
        out[k] = write(v, f"{where}.{k}", depth + 1, seen)
    return out
