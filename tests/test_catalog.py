"""Artifact layout: what an OP returns is what the next OP receives, lists keep their order."""
from pathlib import Path
from typing import Dict, List

from dflow_nb.python import NestedDict
from dflow_nb.python.catalog import load_input, save_output, slice_items


def _files(tmp_path, *names):
    for n in names:
        p = tmp_path / "work" / n
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(n)
    return tmp_path / "work"


def test_single_file_round_trip(tmp_path):
    cwd = _files(tmp_path, "a.txt")
    save_output(cwd / "a.txt", tmp_path / "art", cwd)
    got = load_input(tmp_path / "art", Path)
    assert got.name == "a.txt" and got.read_text() == "a.txt"


def test_list_keeps_order_and_merges_across_producers(tmp_path):
    cwd = _files(tmp_path, "x/3.txt", "x/1.txt", "y/2.txt")
    save_output([cwd / "x/3.txt", cwd / "x/1.txt"], tmp_path / "art", cwd, order=[1])
    save_output([cwd / "y/2.txt"], tmp_path / "art", cwd, order=[0])
    got = load_input(tmp_path / "art", List[Path])
    assert [p.read_text() for p in got] == ["y/2.txt", "x/3.txt", "x/1.txt"]


def test_dict_and_nested_dict(tmp_path):
    cwd = _files(tmp_path, "a", "b")
    save_output({"first": cwd / "a", "second": cwd / "b"}, tmp_path / "d", cwd)
    assert {k: v.read_text() for k, v in load_input(tmp_path / "d", Dict[str, Path]).items()} == \
        {"first": "a", "second": "b"}
    save_output({"g": {"x": cwd / "a"}}, tmp_path / "n", cwd)
    assert load_input(tmp_path / "n", NestedDict[Path])["g"]["x"].read_text() == "a"


def test_directory_without_catalog_is_the_artifact_itself(tmp_path):
    d = _files(tmp_path, "one", "two")
    assert load_input(d, Path) == d
    listed = load_input(d, List[str])
    assert all(isinstance(p, str) for p in listed)
    assert [Path(p).name for p in listed] == ["one", "two"]


def test_slicing_an_artifact_keeps_the_chosen_items(tmp_path):
    cwd = _files(tmp_path, "0.txt", "1.txt", "2.txt")
    save_output([cwd / "0.txt", cwd / "1.txt", cwd / "2.txt"], tmp_path / "art", cwd)
    part = slice_items(tmp_path / "art", [2, 0], tmp_path / "part")
    assert [p.read_text() for p in load_input(part, List[Path])] == ["2.txt", "0.txt"]
