"""Dflow's launching plug-in: ``OP_to_parser`` makes a command-line program of an OP or a
template (``to_parser = OP_to_parser(MyOP); to_parser()(sys.argv[1:])``).

Each input is an option: ``--name VALUE`` for a parameter (JSON, or text for a ``str``; its
default, if any, applies), ``--name PATH`` for an artifact; ``--output_dir`` (default
``./outputs``) receives ``parameters/<name>`` and ``artifacts/<name>`` as a step writes them.
A Python OP runs in this process; a template (a Steps, a DAG, a script) runs as a one-step
workflow on the configured engine. Dflow builds the same on Bohrium's ``dp.launching`` SDK;
this uses ``argparse``.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

from dflow_nb.hub.artifacts import download_artifact, upload_artifact
from dflow_nb.hub.workflow import Workflow
from dflow_nb.model.step import Step, Template
from dflow_nb.model.typing_checks import describe_type
from dflow_nb.python.catalog import save_output
from dflow_nb.python.op import OP
from dflow_nb.python.op_runner import format_parameter
from dflow_nb.python.opio import OPIO, Artifact, Parameter
from dflow_nb.python.utils import handle_input_artifact

Runner = Callable[[Optional[Sequence[str]]], int]


def _value(text: str, tp: Any) -> Any:
    if tp is str:
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _parser(prog: str, version: str, options: Dict[str, Dict[str, Any]]
            ) -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog=prog, description=f"Run {prog} (dflow_nb OP_to_parser)")
    ap.add_argument("--version", action="version", version=version)
    ap.add_argument("--output_dir", default="./outputs", help="where outputs are written")
    for name, opt in options.items():
        ap.add_argument(f"--{name}", dest=name, **opt)
    return ap


def _op_runner(op: OP, version: str) -> Runner:
    inputs = op.get_input_sign()
    options: Dict[str, Dict[str, Any]] = {}
    for name, sign in inputs.items():
        help_text = getattr(sign, "description", None)
        if isinstance(sign, Artifact):
            options[name] = {"metavar": "PATH", "required": not sign.optional,
                             "help": help_text or "input artifact (a path)"}
        else:
            default = sign.default if isinstance(sign, Parameter) and sign.has_default else None
            tp = sign.type if isinstance(sign, Parameter) else sign
            options[name] = {"required": default is None, "default": None,
                             "help": help_text or f"{describe_type(tp)}"
                             + (f" (default {default!r})" if default is not None else "")}

    def run(argv: Optional[Sequence[str]] = None) -> int:
        args = _parser(type(op).__name__, version, options).parse_args(argv)
        op_in = OPIO()
        for name, sign in inputs.items():
            given = getattr(args, name)
            if isinstance(sign, Artifact):
                if given is not None:
                    op_in[name] = handle_input_artifact(name, sign, path=os.path.abspath(given))
            elif given is not None:
                op_in[name] = _value(given, sign.type if isinstance(sign, Parameter) else sign)
            elif isinstance(sign, Parameter) and sign.has_default:
                op_in[name] = sign.default
        out = op.execute(op_in)
        root = Path(args.output_dir).resolve()
        (root / "parameters").mkdir(parents=True, exist_ok=True)
        for name, sign in op.get_output_sign().items():
            if isinstance(sign, Artifact):
                shutil.rmtree(root / "artifacts" / name, ignore_errors=True)
                save_output(out[name], root / "artifacts" / name, Path.cwd())
            else:
                (root / "parameters" / name).write_text(
                    format_parameter(out[name], f"output {name!r}"))
        return 0
    return run


def _template_runner(tmpl: Template, version: str) -> Runner:
    params = dict(tmpl.inputs.parameters.items())
    arts = dict(tmpl.inputs.artifacts.items())
    options: Dict[str, Dict[str, Any]] = {}
    for name, par in params.items():
        options[name] = {"required": not par.has_value, "default": None,
                         "help": getattr(par, "description", None) or "input parameter"}
    for name, art in arts.items():
        options[name] = {"metavar": "PATH", "required": not getattr(art, "optional", False),
                         "help": getattr(art, "description", None) or "input artifact (a path)"}

    def run(argv: Optional[Sequence[str]] = None) -> int:
        args = _parser(tmpl.name, version, options).parse_args(argv)
        step = Step("main", tmpl,
                    parameters={k: _value(getattr(args, k), params[k].type)
                                for k in params if getattr(args, k) is not None},
                    artifacts={k: upload_artifact(getattr(args, k))
                               for k in arts if getattr(args, k) is not None})
        wf = Workflow(tmpl.name)
        wf.add(step)
        wf.submit(wait=True)
        if wf.query_status() != "Succeeded":
            print(f"{tmpl.name}: the workflow ended {wf.query_status()}")
            return 1
        done = wf.query_step(name="main")[0]
        root = Path(args.output_dir).resolve()
        (root / "parameters").mkdir(parents=True, exist_ok=True)
        for name, p in done.outputs.parameters.items():
            (root / "parameters" / name).write_text(p.raw if p.raw is not None else str(p.value))
        for name, a in done.outputs.artifacts.items():
            if a.local_path is not None:
                download_artifact(a, path=str(root / "artifacts" / name))
        return 0
    return run


def OP_to_parser(op: Union[OP, type, Template], version: str = "1.0.0"
                 ) -> Callable[[], Runner]:
    """``to_parser = OP_to_parser(op)``; ``to_parser()(argv)`` runs the OP (or template) with
    inputs from the command line and returns 0 when it succeeded."""
    if isinstance(op, type) and issubclass(op, OP):
        runner = _op_runner(op(), version)
    elif isinstance(op, OP):
        runner = _op_runner(op, version)
    elif hasattr(op, "inputs") and hasattr(op, "outputs"):
        runner = _template_runner(op, version)   # type: ignore[arg-type]
    else:
        raise TypeError(f"OP_to_parser takes a Python OP or a template, given {op!r}")
    return lambda: runner


__all__: List[str] = ["OP_to_parser"]
