"""Artifacts: lists of files keep their order, directories travel whole, nested templates re-export artifacts."""
from pathlib import Path
from typing import Dict, List

from dflow_nb import (
    InputArtifact,
    Inputs,
    OutputArtifact,
    Outputs,
    Step,
    Steps,
    Workflow,
    download_artifact,
    upload_artifact,
)
from dflow_nb.python import OP, OPIO, Artifact, OPIOSign, PythonOPTemplate


class Concat(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"parts": Artifact(List[Path])})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"joined": str, "names": List[str]})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"joined": "".join(p.read_text() for p in op_in["parts"]),
                     "names": [p.name for p in op_in["parts"]]})


class Split(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"text": str})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"chunks": Artifact(List[Path]), "index": Artifact(Dict[str, Path])})

    @OP.exec_sign_check
    def execute(self, op_in):
        chunks, index = [], {}
        for i, ch in enumerate(op_in["text"]):
            p = Path("chunk-%d.txt" % i)
            p.write_text(ch)
            chunks.append(p)
            index[ch] = p
        return OPIO({"chunks": chunks, "index": index})


class Lookup(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"index": Artifact(Dict[str, Path])})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"keys": List[str], "b": str})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"keys": sorted(op_in["index"]), "b": op_in["index"]["b"].read_text()})


class ListDir(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"d": Artifact(Path)})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"files": List[str], "copy": Artifact(Path)})

    @OP.exec_sign_check
    def execute(self, op_in):
        root = op_in["d"]
        files = sorted(str(p.relative_to(root)) for p in root.rglob("*")
                       if p.is_file() and ".dflow" not in p.parts)
        Path("copy.txt").write_text(",".join(files))
        return OPIO({"files": files, "copy": Path("copy.txt")})


def test_uploaded_list_of_files_arrives_in_order():
    """upload_artifact([c, a, b]) gives an Artifact(List[Path]) input the files in the listed order."""
    for name in ("c", "a", "b"):
        Path(name + ".txt").write_text(name.upper())
    art = upload_artifact(["c.txt", "a.txt", "b.txt"])
    wf = Workflow("list-upload")
    wf.add(Step("concat", PythonOPTemplate(Concat), artifacts={"parts": art}))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    out = wf.query_step(name="concat")[0].outputs.parameters
    assert out["joined"].value == "CAB"
    assert out["names"].value == ["c.txt", "a.txt", "b.txt"]


def test_list_and_dict_output_artifacts_round_trip():
    """List[Path] and Dict[str, Path] outputs keep order/keys for the next step and for download_artifact."""
    wf = Workflow("list-dict-art")
    split = Step("split", PythonOPTemplate(Split), parameters={"text": "cab"})
    wf.add(split)
    wf.add([Step("concat", PythonOPTemplate(Concat),
                 artifacts={"parts": split.outputs.artifacts["chunks"]}),
            Step("lookup", PythonOPTemplate(Lookup),
                 artifacts={"index": split.outputs.artifacts["index"]})])
    wf.submit()
    assert wf.query_status() == "Succeeded"
    assert wf.query_step(name="concat")[0].outputs.parameters["joined"].value == "cab"
    lookup = wf.query_step(name="lookup")[0].outputs.parameters
    assert lookup["keys"].value == ["a", "b", "c"] and lookup["b"].value == "b"
    paths = download_artifact(wf.query_step(name="split")[0].outputs.artifacts["chunks"],
                              path="dl")
    assert [Path(p).read_text() for p in paths] == ["c", "a", "b"]


def test_uploaded_directory_is_one_path_with_its_tree():
    """An uploaded directory reaches an Artifact(Path) input as a directory holding the whole tree."""
    Path("data/sub").mkdir(parents=True)
    Path("data/x.txt").write_text("x")
    Path("data/sub/y.txt").write_text("y")
    wf = Workflow("dir-upload")
    wf.add(Step("ls", PythonOPTemplate(ListDir), artifacts={"d": upload_artifact("data")}))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    files = wf.query_step(name="ls")[0].outputs.parameters["files"].value
    assert [f.split("data/")[-1] for f in files] == ["sub/y.txt", "x.txt"]


def test_nested_steps_pass_and_re_export_artifacts():
    """A Steps template takes an InputArtifact and re-exports an inner step's file with OutputArtifact(_from=...)."""
    Path("data").mkdir()
    Path("data/x.txt").write_text("x")
    inner = Steps("inner", inputs=Inputs(artifacts={"d": InputArtifact()}),
                  outputs=Outputs(artifacts={"listing": OutputArtifact()}))
    ls = Step("ls", PythonOPTemplate(ListDir), artifacts={"d": inner.inputs.artifacts["d"]})
    inner.add(ls)
    inner.outputs.artifacts["listing"]._from = ls.outputs.artifacts["copy"]
    wf = Workflow("nested-art")
    outer = Step("outer", inner, artifacts={"d": upload_artifact("data")})
    wf.add(outer)
    wf.submit()
    assert wf.query_status() == "Succeeded"
    paths = download_artifact(wf.query_step(name="outer")[0].outputs.artifacts["listing"],
                              path="dl")
    assert len(paths) == 1 and Path(paths[0]).read_text().endswith("x.txt")
