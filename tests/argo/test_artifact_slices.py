"""Slicing an input artifact without an explicit loop (and Slices(sub_path=True)) on Argo: an init
step ``<step>-init`` lists the artifact with ``dflow_nb.argo.slice_count`` and the sliced step loops
over its count. The lister runs for real, and the compiled manifests run back on the local engine."""
import json
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from dflow_nb import DAG, Step, Task, Workflow
from dflow_nb.argo import script as script_mod
from dflow_nb.argo._init import INIT_TEMPLATE
from dflow_nb.argo.compile import compile_workflow
from dflow_nb.argo.slice_count import init_source, list_items
from dflow_nb.python import OP, OPIO, Artifact, OPIOSign, PythonOPTemplate, Slices
from dflow_nb.python.catalog import artifact_items, save_output


class Prepare(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"n": int})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"foo": Artifact(List[str], archive=None)})

    @OP.exec_sign_check
    def execute(self, op_in):
        names = []
        for i in range(op_in["n"]):
            Path(f"foo{i}.txt").write_text(f"file {i}")
            names.append(f"foo{i}.txt")
        return OPIO({"foo": names})


class ReadOne(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"foo": Artifact(str)})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"text": str})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"text": Path(op_in["foo"]).read_text()})


class Texts(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"texts": List[str]})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"texts": List[str]})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"texts": op_in["texts"]})


def _run_lister(*args):
    proc = subprocess.run([sys.executable, "-m", "dflow_nb.argo.slice_count", *map(str, args)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_lister_reads_the_catalogs_of_a_saved_artifact_in_order(tmp_path):
    """Two producers' catalogs merged into one directory list in slice order, with keys."""
    cwd = tmp_path / "cwd"
    (cwd / "sub").mkdir(parents=True)
    for name in ("a.txt", "b.txt", "sub/c.txt"):
        (cwd / name).write_text(name)
    art = tmp_path / "art"
    save_output([cwd / "b.txt", cwd / "sub/c.txt"], art, cwd, order=[1])
    save_output([cwd / "a.txt"], art, cwd, order=[0])
    items = _run_lister(art, "--count", tmp_path / "out" / "count")
    assert items == [{"index": 0, "path": "a.txt"}, {"index": 1, "path": "b.txt"},
                     {"index": 2, "path": "sub/c.txt"}]
    assert (tmp_path / "out" / "count").read_text() == "3"
    assert [it["path"] for it in items] == [it["path"] for it in artifact_items(art)[0]]

    keyed = tmp_path / "keyed"
    save_output({"x": cwd / "a.txt", "y": cwd / "b.txt"}, keyed, cwd)
    assert _run_lister(keyed) == [{"index": 0, "path": "a.txt", "key": "x"},
                                  {"index": 1, "path": "b.txt", "key": "y"}]


def test_lister_without_a_catalog_lists_entries_or_the_file(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    for name in ("z", "a", "m"):
        (plain / name).write_text(name)
    assert _run_lister(plain) == [{"index": i, "path": p} for i, p in enumerate("amz")]
    assert [it["path"] for it in list_items(str(plain))] == \
        [it["path"] for it in artifact_items(plain)[0]]
    assert _run_lister(plain / "a") == [{"index": 0, "path": "a"}]
    proc = subprocess.run([sys.executable, "-m", "dflow_nb.argo.slice_count", str(tmp_path / "nope")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "does not exist" in proc.stderr


def test_init_source_is_a_standalone_script(tmp_path):
    """The init template's source runs with a bare interpreter (no dflow_nb on the path)."""
    art = tmp_path / "art"
    (tmp_path / "x.txt").write_text("x")
    save_output([tmp_path / "x.txt"], art, tmp_path, order=[0])
    script = tmp_path / "s.py"
    script.write_text(init_source(str(art), str(tmp_path / "count")))
    proc = subprocess.run([sys.executable, "-I", "-S", str(script)], capture_output=True,
                          text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [{"index": 0, "path": "x.txt"}]
    assert (tmp_path / "count").read_text() == "1"
    assert "{{" not in init_source("/tmp/a", "/tmp/b")  # nothing for Argo to substitute


def _steps_workflow(sub_path: bool, n: int = 2) -> Workflow:
    wf = Workflow("art-slices")
    prep = Step("prepare", PythonOPTemplate(Prepare, upload_dflow=False), parameters={"n": n})
    wf.add(prep)
    if sub_path:
        read = Step("read", PythonOPTemplate(ReadOne, upload_dflow=False, slices=Slices(
            sub_path=True, input_artifact=["foo"], output_parameter=["text"])),
            artifacts={"foo": prep.outputs.artifacts["foo"]})
    else:
        read = Step("read", PythonOPTemplate(ReadOne, upload_dflow=False),
                    slices=Slices(input_artifact=["foo"], output_parameter=["text"]),
                    artifacts={"foo": prep.outputs.artifacts["foo"]})
    wf.add(read)
    wf.add(Step("texts", PythonOPTemplate(Texts, upload_dflow=False),
                parameters={"texts": read.outputs.parameters["text"]}))
    return wf


@pytest.fixture
def source_mode(monkeypatch):
    """Ship the test OPs as source (the loaded scripts run outside the tests' import path)."""
    monkeypatch.setattr(script_mod, "_import_path", lambda op: None)


@pytest.mark.parametrize("sub_path", [False, True])
def test_steps_get_an_init_group_and_a_counted_loop(sub_path, validate_manifest):
    m = validate_manifest(compile_workflow(_steps_workflow(sub_path)))
    t = {x["name"]: x for x in m["spec"]["templates"]}
    groups = t[m["spec"]["entrypoint"]]["steps"]
    assert [[s["name"] for s in g] for g in groups] == [["prepare"], ["read-init"], ["read"],
                                                         ["texts"]]
    init = groups[1][0]
    assert init["template"] == INIT_TEMPLATE
    assert init["arguments"]["artifacts"] == [
        {"name": "artifact", "from": "{{steps.prepare.outputs.artifacts.foo}}"}]
    read = groups[2][0]
    assert read["withParam"] == "{{=toJson(sprig.untilStep(0, asInt(steps['read-init']" \
        ".outputs.parameters.count), 1))}}"
    spec = json.loads(next(p["value"] for p in read["arguments"]["parameters"]
                           if p["name"] == "dflow_slice").replace("{{item}}", "0"))
    assert spec["index"] == 0 and spec["input_artifact"] == ["foo"]
    lister = t[INIT_TEMPLATE]
    assert lister["outputs"]["parameters"][0]["name"] == "count"
    assert "python" in lister["script"]["command"][0]


def test_manifest_size_does_not_grow_with_the_number_of_files():
    small = json.dumps(compile_workflow(_steps_workflow(False, 2)))
    large = json.dumps(compile_workflow(_steps_workflow(False, 10000)))
    assert len(large) - len(small) < 10


@pytest.mark.parametrize("sub_path", [False, True])
def test_compiled_steps_run_back_on_the_local_engine(sub_path, source_mode):
    wf = Workflow.from_dict(compile_workflow(_steps_workflow(sub_path, n=3)))
    assert wf.submit(wait=True).phase == "Succeeded"
    init = wf.query_step(name="read-init")
    assert len(init) == 1 and init[0].outputs.parameters["count"].value in ("3", 3)
    assert json.loads(init[0].raw_outputs["result"]) == [
        {"index": i, "path": f"foo{i}.txt"} for i in range(3)]
    assert len([s for s in wf.query_step(name="read") if s.type == "Pod"]) == 3
    out = wf.query_step(name="texts")[0].raw_outputs["parameters"][0]["value"]
    assert json.loads(out) == ["file 0", "file 1", "file 2"]


def _dag_workflow(group_size=None) -> Workflow:
    prep = Task("prepare", PythonOPTemplate(Prepare, upload_dflow=False), parameters={"n": 3})
    read = Task("read", PythonOPTemplate(ReadOne, upload_dflow=False, slices=Slices(
        sub_path=True, input_artifact=["foo"], output_parameter=["text"],
        group_size=group_size, pool_size=1 if group_size else None)),
        artifacts={"foo": prep.outputs.artifacts["foo"]})
    texts = Task("texts", PythonOPTemplate(Texts, upload_dflow=False),
                 parameters={"texts": read.outputs.parameters["text"]})
    wf = Workflow("art-slices-dag", dag=DAG(tasks=[prep, read, texts]))
    return wf


@pytest.mark.parametrize("group_size", [None, 2])
def test_dag_init_task_runs_between_producer_and_slices(group_size, validate_manifest,
                                                        source_mode):
    m = validate_manifest(compile_workflow(_dag_workflow(group_size)))
    dag = next(x for x in m["spec"]["templates"] if x["name"] == m["spec"]["entrypoint"])["dag"]
    tasks = {x["name"]: x for x in dag["tasks"]}
    assert tasks["read-init"]["depends"] == "(prepare.Succeeded)"
    assert tasks["read"]["depends"] == "((prepare.Succeeded)) && read-init"
    assert "tasks['read-init']" in tasks["read"]["withParam"]
    wf = Workflow.from_dict(m)
    assert wf.submit(wait=True).phase == "Succeeded"
    pods = [s for s in wf.query_step(name="read") if s.type == "Pod"]
    assert len(pods) == (2 if group_size else 3)
    out = wf.query_step(name="texts")[0].raw_outputs["parameters"][0]["value"]
    assert json.loads(out) == ["file 0", "file 1", "file 2"]
