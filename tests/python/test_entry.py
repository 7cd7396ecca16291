"""An OP runs from files in a fresh interpreter, as in a container or a batch job."""
import os
import subprocess
import sys
from pathlib import Path

import cloudpickle

from dflow_nb.python import OP, OPIO, Artifact, FatalError, OPIOSign


class Greet(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"name": str, "times": int, "greeting": Artifact(Path)})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"text": str, "file": Artifact(Path)})

    def execute(self, op_in):
        text = " ".join([op_in["greeting"].read_text().strip() + " " + op_in["name"]] * op_in["times"])
        Path("out.txt").write_text(text)
        return OPIO({"text": text, "file": Path("out.txt")})


class Doomed(OP):
    def execute(self, op_in):
        raise FatalError("cannot work")


ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}


def _layout(tmp_path, op):
    (tmp_path / "op.pkl").write_bytes(cloudpickle.dumps(op))
    root = tmp_path / "root"
    (root / "inputs" / "parameters").mkdir(parents=True)
    (root / "inputs" / "artifacts").mkdir(parents=True)
    return root


def test_entry_reads_inputs_and_writes_outputs(tmp_path):
    root = _layout(tmp_path, Greet)
    (root / "inputs" / "parameters" / "name").write_text("Ada")
    (root / "inputs" / "parameters" / "times").write_text("2")
    (root / "inputs" / "artifacts" / "greeting").write_text("hello\n")
    work = tmp_path / "work"
    work.mkdir()
    proc = subprocess.run([sys.executable, "-m", "dflow_nb.python.entry", str(tmp_path / "op.pkl"),
                           str(root)], cwd=work, capture_output=True, text=True, env=ENV)
    assert proc.returncode == 0, proc.stderr
    assert (root / "outputs" / "parameters" / "text").read_text() == "hello Ada hello Ada"
    assert (root / "outputs" / "artifacts" / "file" / "out.txt").read_text() == "hello Ada hello Ada"


def test_entry_exit_code_2_for_fatal_errors(tmp_path):
    root = _layout(tmp_path, Doomed)
    proc = subprocess.run([sys.executable, "-m", "dflow_nb.python.entry", str(tmp_path / "op.pkl"),
                           str(root)], cwd=tmp_path, capture_output=True, text=True, env=ENV)
    assert proc.returncode == 2 and "FatalError: cannot work" in proc.stderr
