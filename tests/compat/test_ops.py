"""Class OPs and function OPs, as in Dflow's test_python / test_func_op / test_python_sugar."""
import os
from pathlib import Path

from dflow_nb import Step, Workflow, download_artifact, upload_artifact
from dflow_nb.python import OP, OPIO, Artifact, OPIOSign, Parameter, PythonOPTemplate


class Duplicate(OP):
    """Dflow's example OP: repeat a message and a file, copy a directory."""

    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"msg": str, "num": int, "foo": Artifact(Path), "idir": Artifact(Path)})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"msg": str, "bar": Artifact(Path), "odir": Artifact(Path)})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        op_out = OPIO({"msg": op_in["msg"] * op_in["num"]})
        content = op_in["foo"].read_text()
        Path("bar.txt").write_text(content * op_in["num"])
        op_out["bar"] = Path("bar.txt")
        os.makedirs("todir", exist_ok=True)
        for name in sorted(os.listdir(op_in["idir"])):
            text = (op_in["idir"] / name).read_text()
            Path("todir", name).write_text(text * op_in["num"])
        op_out["odir"] = Path("todir")
        return op_out


@OP.function
def duplicate(msg: str, num: int, foo: Artifact(Path), idir: Artifact(Path)
              ) -> {"msg": str, "bar": Artifact(Path), "odir": Artifact(Path)}:
    Path("bar.txt").write_text(foo.read_text() * num)
    os.makedirs("todir", exist_ok=True)
    for name in sorted(os.listdir(idir)):
        Path("todir", name).write_text((idir / name).read_text() * num)
    return {"msg": msg * num, "bar": Path("bar.txt"), "odir": Path("todir")}


@OP.function
def add(a: int, b: int = 2) -> {"c": int}:
    return {"c": a + b}


class Scale(OP):
    """An OP whose factor has a default (Parameter(int, default=10))."""

    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"x": int, "factor": Parameter(int, default=10)})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"y": int})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        return OPIO({"y": op_in["x"] * op_in["factor"]})


class MaybeRead(OP):
    """An OP with an optional input artifact: None when the step does not pass it."""

    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"conf": Artifact(Path, optional=True)})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"text": str})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        conf = op_in["conf"]
        return OPIO({"text": "<none>" if conf is None else conf.read_text()})


@OP.function
def maybe_read(conf: Artifact(Path) = None) -> {"text": str}:
    return {"text": "<none>" if conf is None else conf.read_text()}


def _inputs():
    Path("foo.txt").write_text("Hi")
    os.makedirs("tidir", exist_ok=True)
    Path("tidir/a.txt").write_text("a")
    Path("tidir/b.txt").write_text("b")
    return upload_artifact("foo.txt"), upload_artifact("tidir")


def _check_duplicate_run(wf, step_name):
    assert wf.query_status() == "Succeeded"
    step = wf.query_step(name=step_name)[0]
    assert step.phase == "Succeeded"
    assert step.outputs.parameters["msg"].value == "HelloHelloHello"
    bar = download_artifact(step.outputs.artifacts["bar"], path="dl-bar")
    assert [Path(p).read_text() for p in bar] == ["HiHiHi"]
    download_artifact(step.outputs.artifacts["odir"], path="dl-odir")
    files = sorted(str(p.relative_to("dl-odir")) for p in Path("dl-odir").rglob("*.txt"))
    assert files == ["todir/a.txt", "todir/b.txt"]
    assert Path("dl-odir/todir/a.txt").read_text() == "aaa"
    assert Path("dl-odir/todir/b.txt").read_text() == "bbb"


def test_class_op_with_file_and_directory_artifacts():
    """A class OP (get_input_sign/get_output_sign/exec_sign_check) round-trips a parameter, a file and a directory."""
    foo, idir = _inputs()
    wf = Workflow(name="python")
    step = Step("step", PythonOPTemplate(Duplicate, image="python:3.8"),
                parameters={"msg": "Hello", "num": 3}, artifacts={"foo": foo, "idir": idir})
    wf.add(step)
    wf.submit()
    _check_duplicate_run(wf, "step")


def test_function_op_as_template_with_file_and_directory_artifacts():
    """An @OP.function OP used in PythonOPTemplate behaves like the class OP."""
    foo, idir = _inputs()
    wf = Workflow(name="func-op")
    wf.add(Step("step", PythonOPTemplate(duplicate),
                parameters={"msg": "Hello", "num": 3}, artifacts={"foo": foo, "idir": idir}))
    wf.submit()
    _check_duplicate_run(wf, "step")


def test_function_op_called_outside_a_workflow_returns_opio():
    """Calling a function OP outside any context runs it and returns the output dict (OPIO)."""
    assert dict(add(a=1)) == {"c": 3}
    assert dict(add(1, b=5)) == {"c": 6}


def test_function_ops_called_inside_workflow_context_chain_as_dag():
    """Inside `with Workflow()` calls become Tasks; passing one's output to the next infers order; exit submits."""
    with Workflow(name="sugar") as wf:
        first = add.use(key="first")(a=1)           # 1 + 2
        second = add.use(key="second")(a=first["c"], b=10)
    assert wf.query_status() == "Succeeded"
    assert wf.query_step(key="first")[0].outputs.parameters["c"].value == 3
    assert wf.query_step(key="second")[0].outputs.parameters["c"].value == 13
    assert second["c"] is not None


def test_parameter_defaults_apply_when_argument_omitted():
    """Parameter(default=...) in a class sign and a Python default in a function OP fill omitted inputs."""
    wf = Workflow(name="defaults")
    wf.add(Step("scale", PythonOPTemplate(Scale), parameters={"x": 4}))
    wf.add(Step("add", PythonOPTemplate(add), parameters={"a": 5}))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    assert wf.query_step(name="scale")[0].outputs.parameters["y"].value == 40
    assert wf.query_step(name="add")[0].outputs.parameters["c"].value == 7


def test_optional_artifacts_arrive_as_none_when_not_given():
    """Artifact(optional=True) / `= None` function defaults give None when no artifact is passed, the file otherwise."""
    Path("conf.txt").write_text("set")
    conf = upload_artifact("conf.txt")
    wf = Workflow(name="optional")
    wf.add([Step("class-none", PythonOPTemplate(MaybeRead)),
            Step("func-none", PythonOPTemplate(maybe_read)),
            Step("class-given", PythonOPTemplate(MaybeRead), artifacts={"conf": conf})])
    wf.submit()
    assert wf.query_status() == "Succeeded"
    text = {n: wf.query_step(name=n)[0].outputs.parameters["text"].value
            for n in ("class-none", "func-none", "class-given")}
    assert text == {"class-none": "<none>", "func-none": "<none>", "class-given": "set"}


@OP.function
def tenfold(x: int) -> int:
    return x * 10


def test_function_op_single_return_annotation_is_dflow_output():
    """A function OP annotated `-> int` has one output named dflow_output (Dflow's convention)."""
    assert dict(tenfold(3)) == {"dflow_output": 30}
    wf = Workflow(name="single-output")
    wf.add(Step("tenfold", PythonOPTemplate(tenfold), parameters={"x": 4}))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    assert wf.query_step(name="tenfold")[0].outputs.parameters["dflow_output"].value == 40
