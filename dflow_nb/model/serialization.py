"""Parameter values as Argo text: JSON, plus jsonpickle's data subset for what JSON cannot hold.

Dflow encodes non-str parameters with jsonpickle, so user classes survive a round trip (notably
in BigParameters); plain JSON values stay plain JSON text that Argo expressions can read.

Parameter text comes from steps (pods, containers, batch jobs), so it is decoded as data only
(``_data_tags``): objects are rebuilt only for the classes the reader declared (an OP's
signature, a typed template parameter; ``declare_type``) or registered (``register_class``);
any other jsonpickle object stays the JSON it is. Nothing in a value is imported or called.
"""
from __future__ import annotations

import json
import sys
import typing
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple, TypeVar, Union

from dflow_nb.model._data_tags import Reader, class_name, write

#: Classes whose objects parameter text may rebuild in this process, by ``module.qualname``.
_DECLARED: Dict[str, type] = {}

C = TypeVar("C", bound=type)


def dumps(value: Any) -> str:
    """A value as parameter text: JSON, else jsonpickle's format for tuples, sets, bytes and
    objects of plain classes. TypeError names the part that is not data (a function, a file)."""
    try:
        return json.dumps(value)
    except TypeError:
        return json.dumps(write(value))


def loads(text: str, classes: Iterable[type] = ()) -> Any:
    """Parameter text back to a value, as data; ValueError for text that is not JSON.

    ``classes``: the user classes the reader declares (an OP's signature), besides those
    declared or registered in this process. A script or a notebook writes its classes as
    ``__main__.Name``; in another process ``__main__`` is another module, so such an object
    decodes into the declared class of that name.
    """
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError("the value is nested too deeply") from None
    if '"py/' not in text:
        return value
    declared = [c for tp in classes for c in declared_classes(tp)]
    return Reader(declared, _DECLARED.values()).restore(value)


def register_class(cls: C) -> C:
    """Let parameter text rebuild objects of ``cls`` (and of the classes its annotations name)
    in this process; usable as a class decorator. Declared parameter types need no call."""
    for c in declared_classes(cls):
        _DECLARED[class_name(c)] = c
    return cls


def declare_type(tp: Any) -> None:
    """A template declares a parameter of type ``tp``: its classes may be rebuilt."""
    for c in declared_classes(tp):
        _DECLARED[class_name(c)] = c


def declared_classes(tp: Any) -> List[type]:
    """The user classes a declared type names (``Hello``, ``List[Hello]``...), and those their
    annotations name (a dataclass's field types), the standard library's left out."""
    found: List[type] = []
    _walk(tp, found, set(), 0)
    return found


def _walk(tp: Any, found: List[type], seen: Set[int], depth: int) -> None:
    if id(tp) in seen or depth > 20:
        return
    seen.add(id(tp))
    for arg in typing.get_args(tp):
        _walk(arg, found, seen, depth + 1)
    if not isinstance(tp, type) or tp.__module__.partition(".")[0] in sys.stdlib_module_names:
        return
    found.append(tp)
    try:
        hints = typing.get_type_hints(tp)
    except Exception:   # a forward reference that does not resolve: take what is a type
        hints = {k: v for k, v in getattr(tp, "__annotations__", {}).items()
                 if not isinstance(v, str)}
    for hint in hints.values():
        _walk(hint, found, seen, depth + 1)


def decode(text: Any, type_name: Optional[str]) -> Any:
    """A parameter's Argo text as the Python value its type says; untyped stays text, and so
    does text that is not JSON (or nested too deeply to read). Slices' stacked outputs become
    the list of their values, whatever the type."""
    if not isinstance(text, str) or (type_name in (None, "str") and
                                     "dflow_list_item" not in text):
        return text
    try:
        value = loads(text)
    except ValueError:
        return text
    stacked = unwrap_sliced(value)
    return text if stacked is value and type_name in (None, "str") else stacked


def slice_items(value: Any, order: Union[int, List[int]]) -> List[Dict[str, Any]]:
    """A slice's output as Dflow tags it, so the stacked output keeps slice order:
    ``[{"dflow_list_item": v, "order": i}]`` (one per item of a group: ``value`` and ``order``
    are then lists)."""
    if isinstance(order, list):
        return [{"dflow_list_item": v, "order": i} for v, i in zip(value, order)]
    return [{"dflow_list_item": value, "order": order}]


def slice_value(text: Any) -> Optional[Tuple[Any, Union[int, List[int]]]]:
    """A slice's own output text (``slice_items``) as ``(value, order)``, the lists of both
    for a group; None for any other text."""
    if not isinstance(text, str) or "dflow_list_item" not in text:
        return None
    try:
        items = loads(text)
    except ValueError:
        return None
    if not isinstance(items, list) or not items or not all(
            isinstance(i, dict) and set(i) == {"dflow_list_item", "order"} for i in items):
        return None
    if len(items) == 1:
        return items[0]["dflow_list_item"], items[0]["order"]
    return [i["dflow_list_item"] for i in items], [i["order"] for i in items]


def unwrap_sliced(value: Any, classes: Iterable[type] = ()) -> Any:
    """Aggregated sliced outputs ``[[{"dflow_list_item": v, "order": i}], ...]`` -> ``[v...]``."""
    if not isinstance(value, list) or not value:
        return value
    flat: List[Any] = []
    for part in value:
        if isinstance(part, str):
            try:
                part = loads(part, classes)
            except ValueError:
                return value
        if isinstance(part, list) and all(isinstance(p, dict) and "dflow_list_item" in p
                                          for p in part):
            flat.extend(part)
        elif isinstance(part, dict) and "dflow_list_item" in part:
            flat.append(part)
        else:
            return value
    flat.sort(key=lambda p: p.get("order", 0))
    return [p["dflow_list_item"] for p in flat]
