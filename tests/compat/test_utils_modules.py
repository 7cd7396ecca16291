"""``dflow_nb.utils`` and ``dflow_nb.python.utils``, the helper modules Dflow scripts import
directly (``set_directory``, ``run_command``, ``catalog_of_artifact``, ``handle_*_artifact``...)."""
import os
from pathlib import Path
from typing import List

import pytest

from dflow_nb import upload_artifact
from dflow_nb.python import Artifact, BigParameter, Parameter
from dflow_nb.python.utils import (
    handle_input_artifact,
    handle_input_parameter,
    handle_output_artifact,
    handle_output_parameter,
)
from dflow_nb.utils import catalog_of_artifact, copy_artifact, run_command, set_directory


def test_set_directory_enters_and_leaves(tmp_path):
    with set_directory("work/inner", mkdir=True) as where:
        assert where == tmp_path / "work" / "inner"
        assert Path.cwd() == where
    assert Path.cwd() == tmp_path
    with pytest.raises(RuntimeError), set_directory("work"):
        raise RuntimeError("inside")
    assert Path.cwd() == tmp_path


def test_run_command_returns_code_and_output():
    assert run_command("echo hello") == (0, "hello\n", "")
    assert run_command(["sh"], input="echo from stdin\nexit")[1] == "from stdin\n"
    assert run_command("echo $((2*21))", shell=True)[1] == "42\n"
    code, out, err = run_command(["sh", "-c", "echo oops >&2; exit 3"], raise_error=False)
    assert (code, err) == (3, "oops\n")
    with pytest.raises(AssertionError, match="oops"):
        run_command(["sh", "-c", "echo oops >&2; exit 3"])


def test_catalog_and_sorted_copy_of_artifacts():
    Path("foo.txt").write_text("foo")
    Path("bar.txt").write_text("bar")
    foo = upload_artifact(["foo.txt"], archive=None)
    bar = upload_artifact(["bar.txt"], archive=None)
    assert catalog_of_artifact(foo) == [{"dflow_list_item": "foo.txt", "order": 0}]
    copy_artifact(foo, bar, sort=True)
    merged = sorted(catalog_of_artifact(bar), key=lambda it: it["order"])
    assert merged == [{"dflow_list_item": "bar.txt", "order": 0},
                      {"dflow_list_item": "foo.txt", "order": 1}]


def test_handle_functions_round_trip_a_step_layout(tmp_path):
    files = [tmp_path / "a.txt", tmp_path / "b.txt"]
    for f in files:
        f.write_text(f.name)
    sign = Artifact(List[Path])
    root = handle_output_artifact("files", files, sign, data_root=str(tmp_path / "out"))
    os.rename(tmp_path / "out" / "outputs", tmp_path / "out" / "inputs")   # next step's view
    got = handle_input_artifact("files", sign, data_root=str(tmp_path / "out"))
    assert [p.read_text() for p in got] == ["a.txt", "b.txt"]
    assert handle_input_artifact("files", sign, slices=1,
                                 data_root=str(tmp_path / "out")).read_text() == "b.txt"
    assert root.name == "files"

    text = handle_output_parameter("n", 7, Parameter(int), slices=2, data_root=str(tmp_path))
    assert (tmp_path / "outputs" / "parameters" / "n").read_text() == text
    assert handle_input_parameter("n", "[1, 2, 3]", Parameter(List[int]), slices=2) == 3
    assert handle_input_parameter("s", "text", str) == "text"
    (tmp_path / "inputs" / "parameters").mkdir(parents=True)
    (tmp_path / "inputs" / "parameters" / "big").write_text('{"k": [1, 2]}')
    assert handle_input_parameter("big", None, BigParameter(dict),
                                  data_root=str(tmp_path)) == {"k": [1, 2]}
    with pytest.raises(FileNotFoundError, match="input artifact 'missing'"):
        handle_input_artifact("missing", Artifact(Path), data_root=str(tmp_path))
    assert handle_input_artifact("missing", Artifact(Path, optional=True),
                                 data_root=str(tmp_path)) is None
