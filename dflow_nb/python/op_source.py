"""An OP as source a fresh interpreter can run: its own source (or its ``%%dflow op`` / cell-step
cell), an import for every module or importable object it uses, literal constants, and the
source of helpers of the same module. Argo pods get it in their script (``argo/script.py``);
a cell-step OP pickles as it (``cell_op.py``), so Slurm jobs, containers and the local workers
run the same text.
"""
from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import sys
import textwrap
import types
from typing import Any, Dict, List, Optional, Set

from dflow_nb.python.op import op_cell

STANDARD_IMPORTS = (
    "from pathlib import Path\n"
    "from typing import Any, Dict, List, Optional, Set, Tuple, Union\n"
    "from dflow_nb.python import (OP, OPIO, Artifact, BigParameter, FatalError, NestedDict,\n"
    "                             OPIOSign, Parameter, TransientError)\n"
)


def resolve_object(module: str, qualname: str) -> Any:
    """``module.qualname`` imported."""
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _code_names(code: types.CodeType, out: Set[str]) -> None:
    out.update(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _code_names(const, out)


def _names_used(obj: Any) -> Set[str]:
    names: Set[str] = set()
    funcs: List[Any] = []
    if inspect.isclass(obj):
        for base in obj.__mro__:
            if base.__module__ == obj.__module__:
                funcs.extend(v for v in vars(base).values())
    else:
        funcs.append(obj)
    for f in funcs:
        f = getattr(f, "__func__", f)
        f = inspect.unwrap(f) if callable(f) else f
        code = getattr(f, "__code__", None)
        if code is not None:
            _code_names(code, names)
    if inspect.isclass(obj):
        for base in obj.__bases__:
            names.add(base.__name__)
    return names


def source_bundle(op: Any) -> Optional[str]:
    """The OP's source plus what it needs to run in a fresh interpreter, or None."""
    target = getattr(op, "func", None) or (op if inspect.isclass(op) else type(op))
    done: Set[str] = {target.__name__}
    cell = op_cell(op)
    if cell:
        main_src = cell
        done |= _defined_names(cell)
    else:
        try:
            main_src = textwrap.dedent(inspect.getsource(target))
        except (OSError, TypeError):
            return None
    module = sys.modules.get(getattr(target, "__module__", ""), None)
    env: Dict[str, Any] = vars(module) if module is not None else {}
    header: List[str] = []
    helpers: List[str] = []
    standard = set(compile(STANDARD_IMPORTS, "<std>", "exec").co_names)

    def visit(obj: Any) -> None:
        for name in sorted(_names_used(obj)):
            if name in done or name not in env or name in standard or \
                    hasattr(builtins, name):
                continue
            done.add(name)
            value = env[name]
            if isinstance(value, types.ModuleType):
                header.append(f"import {value.__name__} as {name}"
                              if value.__name__ != name else f"import {name}")
            elif isinstance(value, (int, float, str, bool, bytes, type(None))):
                header.append(f"{name} = {value!r}")
            elif getattr(value, "__module__", None) not in (None, "__main__") and \
                    _safe_import(value):
                header.append(f"from {value.__module__} import {value.__qualname__} as {name}"
                              if value.__qualname__ != name else
                              f"from {value.__module__} import {name}")
            elif inspect.isfunction(value) or inspect.isclass(value):
                try:
                    helpers.append(textwrap.dedent(inspect.getsource(value)))
                except (OSError, TypeError):
                    continue
                visit(value)

    visit(target)
    return "\n".join([STANDARD_IMPORTS, *header, "", *helpers, main_src])


def _defined_names(source: str) -> Set[str]:
    """Names a cell binds at its top level (its own imports, classes, functions, variables)."""
    names: Set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return names


def _safe_import(value: Any) -> bool:
    try:
        return resolve_object(value.__module__, value.__qualname__) is value
    except Exception:
        return False
