"""Parameter text <-> values (model/serialization): JSON plus jsonpickle's data subset.

Decoding is data-only: tuples, sets, bytes, shared references, and objects of the classes an
OP declared (or the user registered); any other jsonpickle tag stays the JSON it is, so no
payload (``py/reduce``, ``py/function``, ``py/type``, ``py/newargs``, ``py/repr``, ``py/mod``,
``json://`` keys, dunder attributes) runs code. Encoding writes only what decoding restores, in
jsonpickle's format, so Dflow reads it.
"""
from __future__ import annotations

import enum
import json
import os
from collections import namedtuple
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import jsonpickle
import pytest

from dflow_nb.model.serialization import decode, dumps, loads


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "pwned"


def attacks(marker: Path) -> Dict[str, Any]:
    """Payloads that each create ``marker`` (or worse) when jsonpickle decodes them."""
    cmd = f"touch {marker}"
    system = {"py/reduce": [{"py/function": "os.system"}, {"py/tuple": [cmd]}]}
    popen = {"py/reduce": [{"py/type": "subprocess.Popen"}, {"py/tuple": [["touch", str(marker)]]}]}
    return {
        "reduce-function": system,
        "reduce-type": popen,
        "newargs": {"py/object": "subprocess.Popen", "py/newargs": {"py/tuple": [["touch", str(marker)]]}},
        "newargsex": {"py/object": "subprocess.Popen",
                      "py/newargsex": [{"py/tuple": [["touch", str(marker)]]}, {}]},
        "initargs": {"py/object": "subprocess.Popen", "py/initargs": {"py/tuple": [["touch", str(marker)]]}},
        "repr": {"py/repr": f"os/os.system({cmd!r})"},
        "function": {"py/function": "os.system"},
        "type": {"py/type": "subprocess.Popen"},
        "module": {"py/mod": "antigravity"},
        "key": {"json://" + json.dumps(system): 1},
        "deep-key": {"a": {"b": [{"json://" + json.dumps(popen): 2}]}},
        "state": {"py/object": "builtins.dict", "py/state": system},
        "in-tuple": {"py/tuple": [system]},
        "in-set": {"py/set": [popen]},
        "iterator": {"py/iterator": [system]},
    }


def test_no_payload_runs(marker: Path) -> None:
    for name, payload in attacks(marker).items():
        text = json.dumps(payload)
        for value in (loads(text), decode(text, "dict"), decode(text, "Any")):
            assert not marker.exists(), name
            assert value is not None, name
    assert not marker.exists()


def test_the_payload_really_is_one(marker: Path) -> None:
    """The attack works against jsonpickle itself, so the test above means something."""
    jsonpickle.decode(json.dumps(attacks(marker)["reduce-function"]), keys=True)
    assert marker.exists()


def test_refused_tags_stay_json_data(marker: Path) -> None:
    a = attacks(marker)
    assert loads(json.dumps(a["reduce-function"])) == a["reduce-function"]
    assert loads(json.dumps(a["key"])) == a["key"]
    assert loads(json.dumps([1, a["type"]])) == [1, a["type"]]
    # what is data around a refused tag is still decoded
    assert loads(json.dumps({"t": {"py/tuple": [1, 2]}, "bad": a["function"]})) == \
        {"t": (1, 2), "bad": a["function"]}


@dataclass
class Point:
    x: int
    y: int


@dataclass
class Shape:
    name: str
    corners: List[Point] = field(default_factory=list)
    centre: Optional[Point] = None


class Plain:
    def __init__(self, msg: str) -> None:
        self.msg = msg


class Guarded:
    """A class with its own state protocol: restored through ``__setstate__``."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __getstate__(self) -> Dict[str, int]:
        return {"v": self.value}

    def __setstate__(self, state: Dict[str, int]) -> None:
        self.value = state["v"]


class Slotted:
    __slots__ = ("a", "b")

    def __init__(self, a: int, b: int) -> None:
        self.a, self.b = a, b


class Colour(enum.Enum):
    RED = 1
    GREEN = "g"


Pair = namedtuple("Pair", "left right")


def test_data_tags_round_trip() -> None:
    value = {"t": (1, (2, 3)), "s": {1, 2}, "b": b"\x00\x01", 4: "int key", (1, 2): "tuple key",
             "n": None, "f": 1.5}
    text = dumps(value)
    assert loads(text) == value
    assert jsonpickle.decode(text, keys=True) == value     # Dflow reads what we write


def test_declared_classes_round_trip_and_only_them() -> None:
    shape = Shape("tri", [Point(0, 0), Point(1, 0)], Point(0, 1))
    text = dumps(shape)
    assert loads(text, [Shape]) == shape                    # Point: reachable from annotations
    assert isinstance(loads(text), dict)                    # not declared: JSON data
    assert loads(text)["py/object"].endswith("Shape")
    assert jsonpickle.decode(text, keys=True) == shape      # Dflow's reader agrees


@pytest.mark.parametrize("value,cls", [
    (Plain("hi"), Plain), (Guarded(7), Guarded), (Slotted(1, 2), Slotted),
    (Colour.GREEN, Colour), ((Pair(1, [2]), b""), Pair), ([Colour.RED, Colour.GREEN], Colour)])
def test_class_shapes(value: Any, cls: type) -> None:
    text = dumps(value)
    back = loads(text, [cls])
    if isinstance(value, (Plain, Guarded, Slotted)):
        assert type(back) is cls
        assert [getattr(back, k) for k in ("msg", "value", "a", "b") if hasattr(value, k)] == \
            [getattr(value, k) for k in ("msg", "value", "a", "b") if hasattr(value, k)]
    else:
        assert back == value
    # jsonpickle's own text for it (Dflow's) decodes the same way
    again = loads(jsonpickle.encode(value, keys=True), [cls])
    assert type(again) is type(back)


def test_a_namedtuple_alone_is_a_json_list() -> None:
    """Plain JSON first (what Argo expressions read): a namedtuple alone is written as a list,
    as before; jsonpickle's text of it (Dflow's) decodes into the class."""
    assert dumps(Pair(1, 2)) == "[1, 2]"
    assert loads(jsonpickle.encode(Pair(1, 2), keys=True), [Pair]) == Pair(1, 2)


def test_shared_references_and_cycles() -> None:
    p = Point(1, 2)
    shared = [1]
    value = {"a": p, "b": p, "l1": shared, "l2": shared}
    back = loads(jsonpickle.encode(value, keys=True), [Point])
    assert back["a"] is back["b"] and back["l1"] is back["l2"]
    node = Plain("n")
    node.me = node      # type: ignore[attr-defined]
    back = loads(jsonpickle.encode(node, keys=True), [Plain])
    assert back.me is back


def test_a_declared_class_cannot_be_abused(marker: Path) -> None:
    """Only plain state reaches a declared class: no dunder attributes, no other tags."""
    name = f"{Plain.__module__}.{Plain.__qualname__}"
    evil = [
        {"py/object": name, "__class__": {"py/type": "subprocess.Popen"}},
        {"py/object": name, "__dict__": {"msg": 1}},
        {"py/object": name, "py/newargs": {"py/tuple": [["touch", str(marker)]]}},
        {"py/object": name, "py/reduce": attacks(marker)["reduce-function"]["py/reduce"]},
        {"py/object": name, "msg": attacks(marker)["reduce-type"]},
    ]
    for payload in evil:
        back = loads(json.dumps(payload), [Plain])
        assert not marker.exists()
        assert type(back) is not Plain or back.msg == payload["msg"]
        assert type(back) is Plain or back == payload


def test_the_class_is_found_by_name_in_another_process() -> None:
    """A notebook's class is ``__main__.X`` where it was encoded; the step's copy of the class
    (sent by value or as source) may live elsewhere: the declared class is matched by name."""
    text = json.dumps({"py/object": "__main__.Point", "x": 1, "y": 2})
    assert loads(text, [Point]) == Point(1, 2)


def test_registered_classes_decode_in_records() -> None:
    class Registered:
        def __init__(self, v: int) -> None:
            self.v = v

    from dflow_nb.model.serialization import register_class
    text = dumps(Registered(3))
    assert isinstance(decode(text, "Registered"), dict)
    register_class(Registered)
    assert decode(text, "Registered").v == 3


def test_typed_outputs_register_their_classes() -> None:
    from dflow_nb import OutputParameter

    class Declared:
        pass

    obj = Declared()
    obj.k = 1   # type: ignore[attr-defined]
    text = dumps(obj)
    assert isinstance(decode(text, "Declared"), dict)
    OutputParameter(type=Optional[Declared])
    assert decode(text, "Declared").k == 1


@pytest.mark.parametrize("value,what", [
    (lambda: 0, "function"), (print, "builtin_function_or_method"), (os, "module"),
    (int, "type"), (iter([1]), "list_iterator"), ({"a": [open(__file__)]}, "TextIOWrapper"),
    (object(), "object")])
def test_what_is_not_data_cannot_be_encoded(value: Any, what: str) -> None:
    with pytest.raises(TypeError, match=what):
        dumps(value)


def test_bad_and_deep_text() -> None:
    with pytest.raises(ValueError):
        loads("{not json")
    deep = '{"py/tuple": [' * 5000 + "1" + "]}" * 5000
    with pytest.raises(ValueError, match="nested"):
        loads(deep)
    assert decode(deep, "dict") == deep      # a record shows the text it cannot decode
