"""Step outputs are data: a typed output parameter that holds a jsonpickle payload runs no code
in whichever process reads it (the kernel, the CLI, a downstream OP's worker, an Argo status
read), and values of the classes an OP declares still round-trip.

The attack: a step writes ``{"py/reduce": [{"py/function": "os.system"}, ...]}`` (or another
jsonpickle gadget) as a typed output parameter; reading ``step.outputs`` used to run it.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List

import pytest

from dflow_nb import (
    InputParameter,
    Inputs,
    OutputParameter,
    Outputs,
    ShellOPTemplate,
    Step,
    Workflow,
)
from dflow_nb.python import OP, OPIO, BigParameter, OPIOSign, PythonOPTemplate

REPO = Path(__file__).resolve().parent.parent


def gadgets(marker: Path) -> Dict[str, Any]:
    """jsonpickle payloads that each create ``marker`` when decoded by jsonpickle."""
    cmd = f"touch {marker}"
    system = {"py/reduce": [{"py/function": "os.system"}, {"py/tuple": [cmd]}]}
    return {
        "reduce-function": system,
        "reduce-type": {"py/reduce": [{"py/type": "subprocess.Popen"},
                                      {"py/tuple": [["touch", str(marker)]]}]},
        "in-a-list": [1, system],
        "in-a-key": {"json://" + json.dumps(system): 1},
        "in-a-tuple": {"py/tuple": [system]},
    }


@dataclass
class Point:
    """A user class an OP declares (a module-level dataclass)."""

    x: int
    y: int


class Label:
    """A plain user class with nested data (tuple, set, bytes, non-str keys)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.parts = (1, 2)
        self.tags = {"a"}
        self.raw = b"\x00\xff"
        self.by_id = {1: "one"}


class MakePoint(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"x": int})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"p": Point, "label": BigParameter(Label), "points": List[Point]})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        x = op_in["x"]
        return OPIO({"p": Point(x, x + 1), "label": Label(f"L{x}"),
                     "points": [Point(0, 0), Point(x, x)]})


class UsePoint(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"p": Point, "label": BigParameter(Label)})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"sum": int, "kinds": str})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        p, label = op_in["p"], op_in["label"]
        return OPIO({"sum": p.x + p.y,
                     "kinds": f"{type(p).__name__},{type(label).__name__},{label.parts},"
                              f"{sorted(label.tags)},{label.raw!r},{label.by_id}"})


def in_script(value: Any) -> str:
    """JSON for a shell script's text, each ``/`` but those of ``py/`` tags written ``\\/``
    (same JSON), so the engine's remapping of ``/tmp`` paths in a script leaves the payload's
    marker path alone."""
    return re.sub(r"(?<!py)/", r"\\/", json.dumps(value))


def evil_step(payloads: Dict[str, Any], tp: Any) -> Step:
    """A shell step whose typed output parameters hold the payloads."""
    lines = [f"cat > /tmp/{k} <<'EOF'\n{in_script(v)}\nEOF" for k, v in payloads.items()]
    outs = {k: OutputParameter(value_from_path=f"/tmp/{k}", type=tp) for k in payloads}
    return Step("evil", ShellOPTemplate(name="evil", script="\n".join(lines),
                                        outputs=Outputs(parameters=outs)))


@pytest.mark.parametrize("tp", [dict, Any, Point], ids=["dict", "Any", "declared-class"])
def test_reading_a_typed_output_runs_no_code(tmp_path: Path, tp: Any) -> None:
    marker = tmp_path / "pwned"
    payloads = gadgets(marker)
    wf = Workflow("evil-out", workdir=tmp_path / "runs")
    wf.add(evil_step(payloads, tp))
    wf.submit(wait=True)
    assert wf.query_status() == "Succeeded"
    step = wf.query_step(name="evil")[0]
    values = {k: p.value for k, p in step.outputs.parameters.items()}
    assert not marker.exists(), "reading step.outputs ran the payload"
    # the value comes back as the JSON data it is
    assert values["reduce-function"] == payloads["reduce-function"]
    assert values["reduce-type"] == payloads["reduce-type"]
    assert values["in-a-list"] == payloads["in-a-list"]
    assert values["in-a-key"] == payloads["in-a-key"]
    # the step card a notebook shows reads the same values
    from dflow_nb.notebook.display import step_bundle
    step_bundle(step)
    assert not marker.exists()


def test_cli_steps_table_runs_no_code(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    wf = Workflow("evil-cli", workdir=tmp_path)
    wf.add(evil_step(gadgets(marker), dict))
    wf.submit(wait=True)
    cli = Path(sys.executable).with_name("dflow-nb")
    argv = [str(cli)] if cli.exists() else [sys.executable, "-m", "dflow_nb.cli"]
    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(argv + ["--workdir", str(tmp_path), *args], capture_output=True,
                              text=True, timeout=120, cwd=tmp_path)

    forms = [["steps", wf.id]]                    # the step table (with its outputs column)
    if "--output" in cli("steps", "--help").stdout:
        forms.append(["steps", wf.id, "-o", "json"])   # every step's outputs, as JSON
    for args in forms:
        out = cli(*args)
        assert out.returncode == 0, out.stderr
        assert not marker.exists(), f"dflow-nb {' '.join(args)} ran the payload"
    assert "py/reduce" in out.stdout      # the value shown as the data it is


def test_a_downstream_op_gets_data_not_code(tmp_path: Path) -> None:
    """The worker that decodes an OP's input from a hostile output runs nothing either."""
    marker = tmp_path / "pwned"
    payloads = {"p": gadgets(marker)["reduce-function"]}
    wf = Workflow("evil-down", workdir=tmp_path)
    evil = evil_step(payloads, Point)
    wf.add(evil)
    wf.add(Step("use", PythonOPTemplate(UsePoint),
                parameters={"p": evil.outputs.parameters["p"], "label": Label("x")}))
    wf.submit(wait=True)
    use = wf.query_step(name="use")[0]
    assert not marker.exists(), "the OP's worker ran the payload"
    assert use.phase in ("Failed", "Error")
    assert "'p'" in (use.message or "") and "Point" in (use.message or "")


def test_argo_status_outputs_run_no_code(tmp_path: Path) -> None:
    """Records built from an Argo node status decode by the declared type, as data."""
    from dflow_nb.argo.status import io_record
    marker = tmp_path / "pwned"
    raw = {"parameters": [{"name": k, "value": json.dumps(v), "description": '{"type": "dict"}'}
                          for k, v in gadgets(marker).items()]}
    rec = io_record(raw)
    values = {k: p.value for k, p in rec.parameters.items()}
    assert not marker.exists()
    assert values["reduce-type"]["py/reduce"][0] == {"py/type": "subprocess.Popen"}


def test_declared_classes_round_trip(tmp_path: Path) -> None:
    """Outputs of the classes an OP declares come back as those classes, in the kernel and in
    the next OP (Dflow's BigParameter of a user class)."""
    wf = Workflow("typed-ok", workdir=tmp_path)
    make = Step("make", PythonOPTemplate(MakePoint), parameters={"x": 3})
    use = Step("use", PythonOPTemplate(UsePoint),
               parameters={"p": make.outputs.parameters["p"],
                           "label": make.outputs.parameters["label"]})
    wf.add(make)
    wf.add(use)
    wf.submit(wait=True)
    assert wf.query_status() == "Succeeded", [s.message for s in wf.query_step()]
    out = wf.query_step(name="make")[0].outputs.parameters
    assert out["p"].value == Point(3, 4)
    assert out["points"].value == [Point(0, 0), Point(3, 3)]
    label = out["label"].value
    assert isinstance(label, Label) and label.text == "L3"
    assert (label.parts, label.tags, label.raw, label.by_id) == ((1, 2), {"a"}, b"\x00\xff",
                                                                 {1: "one"})
    used = wf.query_step(name="use")[0].outputs.parameters
    assert used["sum"].value == 7
    assert used["kinds"].value == "Point,Label,(1, 2),['a'],b'\\x00\\xff',{1: 'one'}"


MAIN_SCRIPT = '''
import os, sys
from dflow_nb import Step, Workflow
from dflow_nb.python import OP, OPIO, BigParameter, OPIOSign, PythonOPTemplate


class Hello:
    def __init__(self, msg):
        self.msg = msg


class Twice(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"foo": BigParameter(Hello)})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"foo": BigParameter(Hello)})

    @OP.exec_sign_check
    def execute(self, op_in):
        return OPIO({"foo": Hello(op_in["foo"].msg * 2)})


wf = Workflow("main-class", workdir=sys.argv[1])
a = Step("a", PythonOPTemplate(Twice), parameters={"foo": Hello("hi")})
b = Step("b", PythonOPTemplate(Twice), parameters={"foo": a.outputs.parameters["foo"]})
wf.add(a)
wf.add(b)
wf.submit(wait=True)
value = wf.query_step(name="b")[0].outputs.parameters["foo"].value
print("RESULT", wf.query_status(), type(value).__name__, getattr(value, "msg", value))
'''


def test_a_class_defined_in_main_round_trips(tmp_path: Path) -> None:
    """A script's own class (``__main__``, as every class of a notebook) crosses steps."""
    script = tmp_path / "main_class.py"
    script.write_text(MAIN_SCRIPT)
    env = {**os.environ, "DFLOW_MODE": "debug", "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, str(script), str(tmp_path / "runs")], env=env,
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert "RESULT Succeeded Hello hihihihi" in out.stdout, out.stdout + out.stderr


SHELL_SCRIPT = textwrap.dedent(f'''
    cat > /tmp/p <<'EOF'
    {{"py/object": "{Point.__module__}.{Point.__qualname__}", "x": 5, "y": 6}}
    EOF
''')


def test_a_shell_step_can_produce_a_declared_class(tmp_path: Path) -> None:
    """jsonpickle text naming the declared class (as Dflow writes it) decodes into it."""
    tmpl = ShellOPTemplate(name="mk", script=SHELL_SCRIPT, outputs=Outputs(parameters={
        "p": OutputParameter(value_from_path="/tmp/p", type=Point)}),
        inputs=Inputs(parameters={"unused": InputParameter(value=1)}))
    wf = Workflow("shell-point", workdir=tmp_path)
    wf.add(Step("mk", tmpl))
    wf.submit(wait=True)
    assert wf.query_step(name="mk")[0].outputs.parameters["p"].value == Point(5, 6)
