"""Shared bits of the executor tests: OPs, templates, and what a failed step tells a user."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from dflow_nb import InputArtifact, InputParameter, OutputArtifact, OutputParameter, ShellOPTemplate
from dflow_nb.python import OP, Artifact


def step_log(step) -> str:
    p = Path(step.dir) / "log.txt" if step.dir else None
    return p.read_text(errors="replace") if p is not None and p.exists() else ""


def failure_text(step) -> str:
    """Everything a user sees about a failed step: its message, its result and its log."""
    result = step.outputs.result if step.outputs is not None else None
    return "\n".join(x for x in (step.message, result, step_log(step)) if x)


class Square(OP):
    @classmethod
    def get_input_sign(cls):
        return {"x": int}

    @classmethod
    def get_output_sign(cls):
        return {"y": int}

    def execute(self, op_in):
        return {"y": op_in["x"] ** 2}


class Upper(OP):
    """Reads its input artifact, writes an output artifact and says where it ran."""

    @classmethod
    def get_input_sign(cls):
        return {"text": Artifact(Path), "suffix": str}

    @classmethod
    def get_output_sign(cls):
        return {"out": Artifact(Path), "where": str}

    def execute(self, op_in):
        import os
        src = Path(op_in["text"])
        if src.is_dir():
            src = next(p for p in src.iterdir() if p.is_file())
        Path("upper.txt").write_text(src.read_text().upper() + op_in["suffix"])
        marker = Path("/etc/dflow-nb-image")
        where = "image" if marker.exists() else os.environ.get("SLURM_JOB_ID", "host")
        return {"out": Path("upper.txt"), "where": where}


class SquareAll(OP):
    """A sliced OP: each slice squares one element of ``xs``."""

    @classmethod
    def get_input_sign(cls):
        return {"xs": int}

    @classmethod
    def get_output_sign(cls):
        return {"ys": int}

    def execute(self, op_in):
        return {"ys": op_in["xs"] ** 2}


class Boom(OP):
    @classmethod
    def get_input_sign(cls):
        return {"x": int}

    @classmethod
    def get_output_sign(cls):
        return {"y": int}

    def execute(self, op_in):
        raise ValueError(f"boom on {op_in['x']}")


def shell_upper(name: str = "upper", image=None) -> ShellOPTemplate:
    """A shell step with an input parameter and artifact and both kinds of outputs."""
    t = ShellOPTemplate(
        name=name, image=image,
        script="mkdir -p /tmp/out\n"
               "for f in /tmp/in/*; do tr a-z A-Z < \"$f\" >> /tmp/out/upper.txt; done\n"
               "echo '{{inputs.parameters.n}}' > /tmp/n.txt\n"
               "echo ran {{inputs.parameters.n}}\n")
    t.inputs.parameters["n"] = InputParameter()
    t.inputs.artifacts["text"] = InputArtifact(path="/tmp/in")
    t.outputs.artifacts["out"] = OutputArtifact(path="/tmp/out")
    t.outputs.parameters["n"] = OutputParameter(value_from_path="/tmp/n.txt")
    return t


def python_mounts() -> dict:
    """Read-only mounts that give the busybox image this machine's Python and dflow_nb."""
    import dflow_nb
    repo = str(Path(dflow_nb.__file__).resolve().parents[1])
    mounts = {sys.base_prefix: sys.base_prefix + ":ro", sys.prefix: sys.prefix + ":ro",
              repo: repo + ":ro", "/lib64": "/lib64:ro"}
    for libdir in ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu"):
        if os.path.isdir(libdir):
            mounts[libdir] = libdir.replace("/usr", "", 1) + ":ro"
    return mounts
