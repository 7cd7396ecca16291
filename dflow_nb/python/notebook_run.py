"""What a NotebookOPTemplate step runs in its container (or the local engine's subprocess).

``run_notebook`` executes the embedded notebook with papermill, its parameters injected after
the cell tagged ``parameters``; the executed notebook goes to ``<outputs>/artifacts/notebook/``
whether the run succeeds or not (papermill writes it as far as it got, the failing cell's error
included), and each value the notebook ``record()``-ed that the template declares becomes
``<outputs>/parameters/<name>`` (Argo text: str as-is, anything else JSON).

A failing cell fails the step: the cell's error (``cell N: ValueError: ...``) is written to the
termination log (Kubernetes' ``/dev/termination-log``; the local engine's
``DFLOW_NB_TERMINATION_LOG``), which becomes the step's message, and the exit code is 1.
Nothing read here runs as code outside the notebook's own kernel: parameters decode as data.
"""
from __future__ import annotations

import base64
import json
import os
import sys
import tempfile
import zlib
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from dflow_nb.model.serialization import dumps
from dflow_nb.python.record import RECORDS_ENV, read_records

NOTEBOOK_ARTIFACT = "notebook"
TERMINATION_LOG = "/dev/termination-log"
#: Declared types the step can check by name (anything else is taken as declared).
_CHECKABLE: Dict[str, Tuple[type, ...]] = {
    "int": (int,), "float": (int, float), "str": (str,), "bool": (bool,), "list": (list,),
    "dict": (dict,)}


def pack_notebook(text: str) -> str:
    """Notebook JSON as the compact text a script carries (no ``/``, ``{`` or quotes in it)."""
    return base64.urlsafe_b64encode(zlib.compress(text.encode(), 9)).decode()


def unpack_notebook(payload: str) -> str:
    return zlib.decompress(base64.urlsafe_b64decode(payload)).decode()


def parse_value(text: str, type_name: Optional[str]) -> Any:
    """A parameter's Argo text as the notebook's value: str stays text, the rest is JSON."""
    if type_name == "str":
        return text
    try:
        return json.loads(text)
    except ValueError:
        if type_name in (None, "Any"):
            return text
        raise ValueError(f"expected {type_name} as JSON, given {text!r}") from None


def _check(name: str, value: Any, type_name: Optional[str]) -> Optional[str]:
    allowed = _CHECKABLE.get(type_name or "")
    if allowed is None or (isinstance(value, allowed) and
                           not (isinstance(value, bool) and type_name in ("int", "float"))):
        return None
    return (f"the notebook recorded {name}={value!r} (a {type(value).__name__}), but the "
            f"template declares it as {type_name}")


def _fail(message: str) -> int:
    """Say why the step failed: in its log, and as its message (the termination log)."""
    print(f"dflow_nb: {message}", file=sys.stderr)
    target = os.environ.get("DFLOW_NB_TERMINATION_LOG", TERMINATION_LOG)
    try:
        Path(target).write_text(message[:4096])
    except OSError:
        pass
    return 1


def run_notebook(notebook: str, filename: str, parameters: Dict[str, Tuple[Optional[str], str]],
                 artifacts: Dict[str, str], outputs: Dict[str, Optional[str]],
                 required: List[str], out_dir: str, kernel_name: str = "python3") -> int:
    """Run the notebook as a step; returns the step's exit code.

    ``parameters`` maps a name to (declared type name, base64 of the Argo text); ``artifacts``
    maps a name to the path where the input artifact was placed (passed to the notebook as a
    string); ``outputs`` maps recorded names to declared type names, ``required`` those without
    a default.
    """
    import papermill  # type: ignore[import-untyped, unused-ignore]
    from jupyter_client.kernelspec import NoSuchKernel
    from papermill.exceptions import PapermillExecutionError  # type: ignore[import-untyped, unused-ignore]

    values: Dict[str, Any] = {}
    for name, (type_name, encoded) in parameters.items():
        try:
            values[name] = parse_value(base64.b64decode(encoded).decode(), type_name)
        except ValueError as exc:
            return _fail(f"input parameter {name!r}: {exc}")
    for name, path in artifacts.items():
        values[name] = path if os.path.exists(path) else None
    out = Path(out_dir)
    book = out / "artifacts" / NOTEBOOK_ARTIFACT / filename
    book.parent.mkdir(parents=True, exist_ok=True)
    records = out / "notebook-records.jsonl"
    records.unlink(missing_ok=True)
    os.environ[RECORDS_ENV] = str(records)
    failure: Optional[str] = None
    with tempfile.TemporaryDirectory(prefix="dflow-nb-notebook-") as tmp:
        source = Path(tmp) / filename
        source.write_text(unpack_notebook(notebook))
        try:
            papermill.execute_notebook(str(source), str(book), parameters=values,
                                       kernel_name=kernel_name, cwd=os.getcwd(),
                                       progress_bar=False, stdout_file=sys.stdout,
                                       stderr_file=sys.stderr)
        except PapermillExecutionError as exc:
            failure = f"cell {exc.exec_count}: {exc.ename}: {exc.evalue}"
        except NoSuchKernel:
            return _fail(f"no Jupyter kernel named {kernel_name!r} here: install ipykernel "
                         "(pip install ipykernel; on Argo, in the step's image) or pass "
                         "kernel_name= an installed kernel")
    recorded = read_records(records)
    problems: List[str] = []
    (out / "parameters").mkdir(parents=True, exist_ok=True)
    for name, type_name in outputs.items():
        if name not in recorded:
            if name in required and failure is None:
                problems.append(f"the notebook did not record output {name!r} (call "
                                f"dflow_nb.record({name!r}, value) in a cell)")
            continue
        value = recorded[name]
        wrong = _check(name, value, type_name)
        if wrong:
            problems.append(wrong)
            continue
        (out / "parameters" / name).write_text(value if isinstance(value, str) else dumps(value))
    if failure is not None:
        return _fail(failure)
    if problems:
        return _fail("; ".join(problems))
    print(f"dflow_nb: notebook {filename} ran; recorded {', '.join(sorted(recorded)) or 'nothing'}")
    return 0
