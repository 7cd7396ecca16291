"""What ``submit``, ``lint`` and ``compile`` read: a Python file that builds a workflow, or an Argo
Workflow manifest (YAML or JSON; ``-`` reads it from standard input).

A Python file is run as a module, the way ``import`` would run it: ``__name__`` is not
``"__main__"``, so a ``if __name__ == "__main__": wf.submit()`` block does not run, and the file's
directory is on ``sys.path``. The workflow is the ``Workflow`` the file leaves at top level: the
only one, or the one named by ``--var``. What the file prints goes to standard error, so standard
output carries only the command's own output. A file that submits at import (a bare
``wf.submit()`` or a ``with Workflow(...)`` block) has started its run already: the command
follows that run.
"""
from __future__ import annotations

import contextlib
import json
import runpy
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

from dflow_nb.cli.exit_codes import CLIError
from dflow_nb.hub.workflow import Workflow

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
MODULE_NAME = "__dflow_nb_cli__"


class BuildError(CLIError):
    """The Python file raised while it built its workflow (its traceback was printed)."""


@dataclass
class Source:
    """A workflow as a file gave it: the model, and the manifest text's dict if it was one."""

    path: str
    workflow: Workflow
    manifest: Optional[Dict[str, Any]] = None


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Send what user code and engines print to standard error while the block runs."""
    with contextlib.redirect_stdout(sys.stderr):
        yield


def read_manifest(path: str) -> Dict[str, Any]:
    """An Argo Workflow manifest from YAML or JSON text (``-``: standard input)."""
    import yaml
    text = sys.stdin.read() if path == "-" else _read_text(path)
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CLIError(f"{path} is not valid YAML or JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise CLIError(f"{path} holds no manifest (expected a mapping with kind: Workflow)")
    kind = doc.get("kind")
    if kind != "Workflow":
        raise CLIError(f"{path} is a {kind or 'document without kind'}; expected an Argo manifest "
                       "with kind: Workflow")
    return doc


def _read_text(path: str) -> str:
    try:
        return Path(path).read_text()
    except FileNotFoundError:
        raise CLIError(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CLIError(f"cannot read {path}: {exc}") from None


def load(path: str, var: Optional[str] = None) -> Source:
    """The workflow a file gives (see the module docstring)."""
    suffix = Path(path).suffix.lower()
    if path == "-" or suffix in MANIFEST_SUFFIXES:
        manifest = read_manifest(path)
        return Source(path, Workflow.from_dict(manifest), manifest)
    if suffix == ".ipynb":
        raise CLIError(f"{path}: notebooks are not submitted directly; run a notebook as a step "
                       "with NotebookOPTemplate in a Python file, or build the workflow in a .py")
    if suffix != ".py":
        raise CLIError(f"{path}: expected a Python file (.py) or an Argo manifest "
                       "(.yaml, .yml, .json)")
    return Source(path, _from_python(path, var))


def _from_python(path: str, var: Optional[str]) -> Workflow:
    file = Path(path)
    if not file.is_file():
        raise CLIError(f"no such file: {path}")
    sys.path.insert(0, str(file.resolve().parent))
    try:
        with quiet_stdout():
            namespace = runpy.run_path(str(file.resolve()), run_name=MODULE_NAME)
    except SystemExit as exc:
        raise CLIError(f"{path} called sys.exit({exc.code!r}) while building its workflow") from None
    except Exception as exc:
        _print_user_traceback(exc, file)
        raise BuildError(f"{path} raised {type(exc).__name__} while building its workflow: "
                       f"{_first_line(exc)}") from None
    if var is not None:
        value = namespace.get(var)
        if not isinstance(value, Workflow):
            found = "nothing" if value is None else f"a {type(value).__name__}"
            raise CLIError(f"{path}: --var {var} names {found}, not a Workflow")
        return value
    built: Dict[int, List[str]] = {}
    for name, value in namespace.items():
        if isinstance(value, Workflow) and not name.startswith("__"):
            built.setdefault(id(value), []).append(name)
    if not built:
        raise CLIError(f"{path} leaves no Workflow at top level: build it outside "
                       "`if __name__ == \"__main__\":` (the file is run as a module)")
    if len(built) > 1:
        names = ", ".join(sorted(n[0] for n in built.values()))
        raise CLIError(f"{path} builds {len(built)} workflows ({names}): name one with --var")
    return namespace[next(iter(built.values()))[0]]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _print_user_traceback(exc: BaseException, file: Path) -> None:
    """The traceback from the user's file down (not the CLI's frames above it)."""
    tb = exc.__traceback__
    target = str(file.resolve())
    while tb is not None and str(Path(tb.tb_frame.f_code.co_filename).resolve()) != target:
        tb = tb.tb_next
    if tb is not None:
        print("".join(traceback.format_exception(type(exc), exc, tb)).rstrip(), file=sys.stderr)


def set_parameters(wf: Workflow, pairs: List[str], parameter_file: Optional[str] = None) -> None:
    """Apply ``-p NAME=VALUE`` (and a parameter file): a workflow parameter, or an input of the
    entrypoint (Argo passes workflow arguments to it by name). A value is text; a parameter
    whose default is not text takes the value as JSON when it parses (``-p n=3`` gives 3)."""
    given: Dict[str, Any] = {}
    if parameter_file:
        import yaml
        try:
            loaded = yaml.safe_load(_read_text(parameter_file))
        except yaml.YAMLError as exc:
            raise CLIError(f"{parameter_file} is not valid YAML or JSON: {exc}") from None
        if not isinstance(loaded, dict):
            raise CLIError(f"{parameter_file}: expected a mapping of parameter names to values")
        given.update({str(k): v for k, v in loaded.items()})
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise CLIError(f"-p takes NAME=VALUE, given {pair!r}")
        given[name] = value
    if not given:
        return
    entry = wf.entrypoint.inputs.parameters if wf.entrypoint is not None else {}
    known = list(wf.parameters) + [k for k in entry if k not in wf.parameters]
    for name, value in given.items():
        if name not in known:
            raise CLIError(f"workflow {wf.name!r} has no parameter {name!r} (its parameters: "
                           f"{', '.join(known) or 'none'})")
        current = wf.parameters.get(name)
        if isinstance(value, str) and current is not None and not isinstance(current, str):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        wf.parameters[name] = value

