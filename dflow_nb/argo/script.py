"""The script a compiled Python OP template runs in its container.

How the OP gets into the container (``op_shipping``), in order of preference:

1. ``import``: the OP (class, or the object a module-level ``@OP.function`` name is bound to) is
   reachable as ``module.qualname`` from a module other than ``__main__``. The image must have that
   module, or the user lists it in ``python_packages`` / ``upload_packages`` (shipped as the
   ``dflow_python_packages`` artifact and put first on ``sys.path``).
2. ``source``: OPs defined in ``__main__`` or a notebook are shipped as their own source, with what
   they need: the standard imports of OP code (dflow_nb.python, typing, pathlib), an import for
   every module or importable object the code refers to, literal constants, and the source of
   helper functions/classes of the same module. The source is base64-encoded so Argo's
   ``{{...}}`` substitution never touches it.
3. ``pickle``: when no source can be found (classes typed at an interactive prompt), the OP is
   cloudpickled; the image then needs the same Python minor version and cloudpickle.

Parameters reach the script as ``{{=sprig.b64enc(inputs.parameters['x'])}}``: Argo substitutes
base64 text, which no value can break out of, and the script writes each decoded value to
``/tmp/inputs/parameters/<x>`` (BigParameters arrive there as artifacts). It then runs the OP with
``dflow_nb.python.op_runner.run_op`` exactly as the local engine does, so outputs land in
``/tmp/outputs/...`` where the template's ``valueFrom.path``/artifact ``path`` read them. Exit
codes follow Dflow: 1 for TransientError or any other exception, 2 for FatalError.
"""
from __future__ import annotations

import ast
import base64
import builtins
import importlib
import inspect
import sys
import textwrap
import types
from typing import Any, Dict, List, Optional, Set, Tuple

from dflow_nb.python.op import op_cell

STANDARD_IMPORTS = (
    "from pathlib import Path\n"
    "from typing import Any, Dict, List, Optional, Set, Tuple, Union\n"
    "from dflow_nb.python import (OP, OPIO, Artifact, BigParameter, FatalError, NestedDict,\n"
    "                             OPIOSign, Parameter, TransientError)\n"
)


def _resolve(module: str, qualname: str) -> Any:
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _import_path(op: Any) -> Optional[Tuple[str, str]]:
    """``(module, qualname)`` when importing it in a fresh interpreter yields this very OP."""
    target = op if inspect.isclass(op) or hasattr(op, "func") else type(op)
    module = getattr(target, "__module__", None)
    qualname = getattr(target, "__qualname__", None)
    if not module or not qualname or module == "__main__" or "<locals>" in qualname:
        return None
    mod = sys.modules.get(module)
    if mod is None or not getattr(mod, "__file__", None):
        return None
    try:
        found = _resolve(module, qualname)
    except Exception:
        return None
    if found is op or (inspect.isclass(op) and found is op):
        return module, qualname
    if not hasattr(op, "func") and not inspect.isclass(op) and found is type(op) and \
            not vars(op):
        return module, qualname  # a stateless instance: the class is enough
    return None


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
        return _resolve(value.__module__, value.__qualname__) is value
    except Exception:
        return False


def op_shipping(op: Any) -> Tuple[str, str]:
    """``(mode, payload)``: how the OP reaches the container (see the module docstring)."""
    path = _import_path(op)
    if path is not None:
        return "import", f"{path[0]}:{path[1]}"
    target = getattr(op, "func", None) or (op if inspect.isclass(op) else type(op))
    is_instance_state = not inspect.isclass(op) and not hasattr(op, "func") and vars(op)
    if not is_instance_state:
        src = source_bundle(op)
        if src is not None:
            return "source", f"{src}\n__dflow_op__ = {target.__name__}\n"
    import cloudpickle
    module = sys.modules.get(getattr(target, "__module__", "") or "")
    by_value = module is not None and module.__name__ != "__main__"
    if by_value:  # the container may not have the module: ship the OP's code itself
        cloudpickle.register_pickle_by_value(module)
    try:
        blob = cloudpickle.dumps(op)
    finally:
        if by_value:
            cloudpickle.unregister_pickle_by_value(module)
    return "pickle", base64.b64encode(blob).decode()


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def python_op_script(op: Any, parameters: List[str], has_key: bool, has_slice: bool,
                     tmp_root: str = "/tmp", pre_script: str = "", post_script: str = "",
                     shipping: Optional[Tuple[str, str]] = None) -> str:
    """The ``script.source`` of a Python OP template."""
    mode, payload = shipping or op_shipping(op)
    name = getattr(op, "__name__", None) or type(op).__name__
    lines = [f"# dflow_nb: runs OP {name} ({mode}); generated by dflow_nb.argo.script",
             "import base64, json, os, sys",
             "from pathlib import Path",
             f"ROOT = Path({tmp_root!r})",
             "_PKG = ROOT / 'inputs' / 'artifacts' / 'dflow_python_packages'",
             "if _PKG.is_dir():",
             "    sys.path[:0] = [str(p) for p in sorted(_PKG.iterdir()) if p.is_dir()] + "
             "[str(_PKG)]"]
    if pre_script:
        lines.append(pre_script.format(tmp_root=tmp_root))
    lines.append("PARAMETERS = {")
    for p in parameters:
        lines.append(f"    {p!r}: \"{{{{=sprig.b64enc(inputs.parameters[{p!r}])}}}}\",")
    lines.append("}")
    key = "\"{{=sprig.b64enc(inputs.parameters['dflow_key'])}}\"" if has_key else "''"
    sl = "\"{{=sprig.b64enc(inputs.parameters['dflow_slice'])}}\"" if has_slice else "''"
    lines += [f"KEY = base64.b64decode({key}).decode()",
              f"SLICE = base64.b64decode({sl}).decode()",
              "WORKFLOW = \"{{workflow.name}}\"",
              f"MODE, PAYLOAD = {mode!r}, {(_b64(payload) if mode == 'source' else payload)!r}",
              RUNNER]
    if post_script:
        lines.append(post_script.format(tmp_root=tmp_root))
    lines.append("sys.exit(_code)")
    return "\n".join(lines) + "\n"


# The part of the script that does not depend on the OP. Kept small: all logic lives in
# dflow_nb.python.op_runner, shared with the local engine.
RUNNER = '''
def _load_op():
    if MODE == "import":
        import importlib
        module, qualname = PAYLOAD.split(":")
        obj = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        return obj
    if MODE == "source":
        from dflow_nb.python.tracebacks import cache_source
        text = base64.b64decode(PAYLOAD).decode()
        cache_source("<dflow op>", text.splitlines(True))   # its lines in tracebacks
        ns = {"__name__": "__dflow_op__"}
        exec(compile(text, "<dflow op>", "exec"), ns)
        return ns["__dflow_op__"]
    import cloudpickle
    return cloudpickle.loads(base64.b64decode(PAYLOAD))


def _slice_spec(text):
    from dflow_nb.python.op_runner import SliceSpec
    if not text:
        return None
    spec = json.loads(text)
    group = spec.pop("group", None)
    if group:
        from dflow_nb.python.python_op_template import slice_groups
        groups = slice_groups(range(int(group["n"])), int(group["size"]),
                              bool(group.get("shuffle")), group.get("seed", 0))
        spec["index"] = groups[int(spec["index"])]
    return SliceSpec(**spec)


def _main():
    from dflow_nb.python.entry import call_from_root
    from dflow_nb.python.errors import FatalError
    from dflow_nb.python.op_runner import run_op
    pdir = ROOT / "inputs" / "parameters"
    pdir.mkdir(parents=True, exist_ok=True)
    for name, value in PARAMETERS.items():
        (pdir / name).write_text(base64.b64decode(value).decode())
    call = call_from_root(ROOT, step=os.environ.get("ARGO_NODE_ID", "step"),
                          slice_spec=_slice_spec(SLICE), key=KEY or None, workflow=WORKFLOW)
    try:
        run_op(_load_op(), call)
    except BaseException as exc:
        from dflow_nb.python.tracebacks import print_failure
        print_failure(exc)
        return 2 if isinstance(exc, FatalError) else 1
    return 0


_code = _main()'''
