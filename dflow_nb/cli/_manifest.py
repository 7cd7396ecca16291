"""``lint`` and ``compile``: is a workflow one Argo accepts, and what manifest it becomes.

``lint`` checks what Argo would receive: a Python file's workflow is compiled, a manifest file is
checked as written (not loaded into the model first), both against Argo's JSON schema (when
``argo/schema.json`` is found: ``DFLOW_NB_SHARED``) and the rules the schema does not encode
(names, sizes, template kinds; ``dflow_nb.argo.compile.check_manifest``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

from dflow_nb.cli._context import open_run
from dflow_nb.cli._files import MANIFEST_SUFFIXES, BuildError, load, read_manifest, set_parameters
from dflow_nb.cli._options import Subparsers, add_parameters, add_verb
from dflow_nb.cli._output import dump, emit
from dflow_nb.cli.exit_codes import FAILED, OK, CLIError
from dflow_nb.errors import ValidationError
from dflow_nb.hub.workflow import Workflow


def problems(path: str, var: Optional[str]) -> List[str]:
    """What Argo (or its rules) would reject in the workflow of a file; empty when none."""
    from dflow_nb.argo.compile import check_manifest
    from dflow_nb.argo.schema import ManifestError
    try:
        if path == "-" or Path(path).suffix.lower() in MANIFEST_SUFFIXES:
            check_manifest(read_manifest(path))
        else:
            check_manifest(load(path, var).workflow)
    except ManifestError as exc:
        return list(exc.errors)
    except (ValidationError, BuildError) as exc:
        return [str(exc)]
    return []


def cmd_lint(args: argparse.Namespace) -> int:
    from dflow_nb.argo.schema import schema_path
    if schema_path() is None:
        print("dflow-nb lint: Argo's schema.json was not found (set DFLOW_NB_SHARED to the "
              "directory holding argo/schema.json): checked Argo's rules only", file=sys.stderr)
    results = [{"file": path, "errors": problems(path, args.var)} for path in args.files]
    if args.output in ("json", "yaml"):
        emit(dump(results, args.output))
    else:
        for r in results:
            errs = r["errors"]
            emit(f"{r['file']}: ok" if not errs else
                 f"{r['file']}: {len(errs)} problem{'s' if len(errs) > 1 else ''}\n"
                 + "\n".join(f"  - {e}" for e in errs))
    return FAILED if any(r["errors"] for r in results) else OK


def run_manifest(wf: Workflow) -> Dict[str, Any]:
    """The manifest of a run: what the Argo Server holds, or the local run's model compiled."""
    from dflow_nb.notebook.debug import argo_backend
    backend = argo_backend(wf)
    if backend is not None:
        return dict(backend.get(wf.id, fields="apiVersion,kind,metadata,spec"))
    return wf.model().to_dict()


def cmd_compile(args: argparse.Namespace) -> int:
    target = args.target
    if target == "-" or Path(target).is_file() or Path(target).suffix.lower() in (
            ".py", ".ipynb", *MANIFEST_SUFFIXES):
        wf = load(target, args.var).workflow
        set_parameters(wf, args.parameter, args.parameter_file)
        manifest = wf.to_dict()
    else:
        if args.parameter or args.parameter_file:
            raise CLIError("-p applies to a workflow file, not to a run")
        manifest = run_manifest(open_run(target))
    emit(dump(manifest, args.output))
    return OK


def register(sub: Subparsers) -> None:
    p = add_verb(sub, "lint", "check workflow files against Argo's schema and rules", """
        Check that Argo would accept the workflow of each file: a Python file's workflow is
        compiled, a manifest is checked as written. Prints every problem; exits 1 when there
        is any, 0 when every file is fine.""", """
        dflow-nb lint pipeline.py
        dflow-nb lint manifests/*.yaml -o json
        cat workflow.yaml | dflow-nb lint -""", cmd_lint)
    p.add_argument("files", nargs="+", metavar="FILE",
                   help=".py files or .yaml/.yml/.json manifests (- for standard input)")
    p.add_argument("--var", metavar="NAME",
                   help="the variable holding the Workflow, when a file builds several")
    p.add_argument("-o", "--output", choices=["json", "yaml"], default="",
                   help="the problems as a document: [{file, errors: [...]}]")

    p = add_verb(sub, "compile", "print the Argo manifest of a workflow file or a run", """
        Print the Argo Workflow manifest a workflow file compiles to (with -p applied), or the
        manifest of a run (on Argo as the server holds it).""", """
        dflow-nb compile pipeline.py > workflow.yaml
        dflow-nb compile pipeline.py -p n=10 -o json
        dflow-nb compile double-x7k2p          # the manifest a run was made from
        dflow-nb yaml pipeline.py | kubectl create -f -""", cmd_compile, aliases=("yaml",))
    p.add_argument("target", metavar="FILE|RUN",
                   help="a .py file or manifest, or a run id (or @latest)")
    p.add_argument("--var", metavar="NAME",
                   help="the variable holding the Workflow, when the file builds several")
    add_parameters(p)
    p.add_argument("-o", "--output", choices=["yaml", "json"], default="yaml",
                   help="yaml (default) or json")
