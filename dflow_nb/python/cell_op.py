"""A notebook cell as a function OP whose source is the cell's own text.

``cell_op("square", cell_text, inputs, outputs, namespace)`` writes::

    @OP.function
    def square(x: int) -> {"y": int}:
        <the cell's text, indented>
        return {"y": y}

and runs that ``def`` (never the cell) so the OP is an ordinary function OP whose
``func.__dflow_source__`` is the text above. It ships as that source, with imports for the
modules and the source of the helpers it uses from the notebook (``op_source.source_bundle``):
in an Argo pod's script, and as what the OP pickles to, so the local engine's workers, Slurm
jobs and containers run the same text.

Before that, ``check_cell`` reads the cell with ``ast``/``symtable`` only (nothing in it runs): a
cell that cannot become a step (a magic or shell line, a name used but never defined nor wired,
an output it never assigns, a value from the kernel that is not wired) is a ``CellStepError``
naming the cell and the variable.
"""
from __future__ import annotations

import ast
import builtins
import io
import linecache
import symtable
import tokenize
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Set, Tuple, Union

from dflow_nb.errors import DflowNbError
from dflow_nb.python.op import OP
from dflow_nb.python.opio import Artifact, BigParameter

#: The names a cell-step's types may use: also what the source shipped to a pod imports.
TYPE_NAMES: Dict[str, Any] = {
    "int": int, "float": float, "str": str, "bool": bool, "bytes": bytes, "list": list,
    "dict": dict, "tuple": tuple, "set": set, "None": None, "Any": Any, "Dict": Dict,
    "List": List, "Optional": Optional, "Set": Set, "Tuple": Tuple, "Union": Union,
    "Path": Path, "Artifact": Artifact, "BigParameter": BigParameter,
}


class CellStepError(DflowNbError, ValueError):
    """A cell that cannot become a step; the message names the cell and the variable."""

    def __init__(self, cell: str, problem: str) -> None:
        super().__init__(f"cell {cell!r} cannot become a step: {problem}")
        self.cell = cell


@dataclass
class Port:
    """One typed input or output of a cell-step: ``text`` is the annotation written in the
    generated source (``List[int]``, ``Artifact(Path)``), ``type`` the object it stands for."""

    name: str
    text: str = "Any"
    type: Any = Any
    artifact: bool = False


def parse_type(name: str, text: str, cell: str, what: str) -> Port:
    """Port ``name`` of type ``int``, ``List[float]``, ``Artifact`` ... read, not evaluated."""
    where = f"{what} {name!r}: {text!r} is not a type a step can pass"
    try:
        tree = ast.parse(text.strip(), mode="eval").body
        if isinstance(tree, ast.Name) and tree.id == "Artifact":
            return Port(name, "Artifact(Path)", Path, artifact=True)
        value = _type_of(tree)
    except (SyntaxError, ValueError, TypeError):
        known = ", ".join(k for k in TYPE_NAMES if k != "None")
        raise CellStepError(cell, f"{where} (types: {known})") from None
    if isinstance(value, Artifact):
        return Port(name, ast.unparse(tree), value.type, artifact=True)
    return Port(name, ast.unparse(tree), value)


def _type_of(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant) and node.value is None:
        return None
    if isinstance(node, ast.Name) and node.id in TYPE_NAMES:
        return TYPE_NAMES[node.id]
    if isinstance(node, ast.Subscript):
        base = _type_of(node.value)
        args = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        params = tuple(_type_of(a) for a in args)
        return base[params if len(params) > 1 else params[0]]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
            node.func.id in ("Artifact", "BigParameter") and len(node.args) == 1 \
            and not node.keywords:
        return TYPE_NAMES[node.func.id](_type_of(node.args[0]))
    raise ValueError("not a type")


def magic_line(cell: str) -> Optional[Tuple[int, str]]:
    """(line number, text) of the first IPython magic or shell line of a cell, if any."""
    for number, line in enumerate(cell.splitlines(), 1):
        code = line.strip()
        head, _, rest = code.partition("=")
        if code.startswith(("%", "!")) or (head.strip().isidentifier()
                                            and rest.strip().startswith(("%", "!"))
                                            and not rest.startswith("=")):
            return number, code
    return None


def _indented(cell: str) -> str:
    """The cell indented one level, except lines inside a multi-line string (indenting them
    would change the string)."""
    keep: Set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(cell).readline):
        if tok.start[0] < tok.end[0] and tok.type == tokenize.STRING:
            keep.update(range(tok.start[0] + 1, tok.end[0] + 1))
    lines = cell.splitlines()
    body = [line if i in keep or not line.strip() else "    " + line
            for i, line in enumerate(lines, 1)]
    return "\n".join(body) if any(line.strip() for line in lines) else "    pass"


def cell_source(name: str, cell: str, inputs: List[Port], outputs: List[Port]) -> str:
    """The function OP's source: the cell's text as the body of a typed ``def``."""
    args = ", ".join(f"{p.name}: {p.text}" for p in inputs)
    ret = ", ".join(f"{p.name!r}: {p.text}" for p in outputs)
    result = ", ".join(f"{p.name!r}: {p.name}" for p in outputs)
    return (f"@OP.function\ndef {name}({args}) -> {{{ret}}}:\n{_indented(cell)}\n"
            f"    return {{{result}}}\n")


def _globals_read(table: symtable.SymbolTable) -> Set[str]:
    """Names a function (and what it nests: functions, lambdas, comprehensions, classes)
    reads from the module: the names a cell takes from the kernel."""
    found = {s.get_name() for s in table.get_symbols()
             if s.is_global() and s.is_referenced() and not s.is_assigned()}
    for child in table.get_children():
        found |= _globals_read(child)
    return found


def _bound_at_top(cell: str) -> Set[str]:
    """Every name the cell binds in its own scope (assignments, imports, defs, loops...)."""
    table = symtable.symtable(cell, "<cell>", "exec")
    return {s.get_name() for s in table.get_symbols()
            if s.is_assigned() or s.is_imported() or s.is_namespace()}


def check_cell(name: str, cell: str, inputs: List[Port], outputs: List[Port],
               namespace: Dict[str, Any]) -> str:
    """The generated source, once the cell is known to make a step (else CellStepError)."""
    try:   # compiled, not run: also refuses a `return`, `yield` or `await` at the top
        compile(cell, f"<cell {name}>", "exec", dont_inherit=True)
    except SyntaxError as exc:   # IPython's %magic and !shell lines are not Python
        magic = magic_line(cell)
        if magic is not None:
            raise CellStepError(name, f"line {magic[0]} ({magic[1]!r}) is an IPython magic or "
                                "shell command; a step runs plain Python: move it to another "
                                "cell") from None
        raise CellStepError(name, f"line {exc.lineno}: {exc.msg}") from None
    source = cell_source(name, cell, inputs, outputs)
    try:
        module = symtable.symtable(source, f"<cell-step {name}>", "exec")
    except SyntaxError as exc:   # e.g. a `nonlocal` at the cell's top level
        raise CellStepError(name, f"its code cannot be a function body ({exc.msg})") from None
    wired = {p.name for p in inputs}
    bound = _bound_at_top(cell) | wired
    for out in outputs:
        if out.name not in bound:
            raise CellStepError(name, f"output {out.name!r} is never assigned in the cell")
    func = next(t for t in module.get_children() if t.get_name() == name)
    for var in sorted(_globals_read(func) - set(dir(builtins))):
        if var not in namespace:
            raise CellStepError(name, f"{var!r} is used but never defined in the cell nor "
                                f"wired as an input (add {var}=... to the %%dflow step line)")
        value = namespace[var]
        if not isinstance(value, (types.ModuleType, type)) and not callable(value):
            raise CellStepError(name, f"{var!r} holds a {type(value).__name__} value of the "
                                f"kernel, not an input: wire it (add {var}=... to the %%dflow step "
                                "line) so the step gets it too")
    return source


def cell_op(name: str, cell: str, inputs: List[Port], outputs: List[Port],
            namespace: Dict[str, Any]) -> Any:
    """The function OP of a cell: checked, then defined with ``namespace`` as its globals
    (the kernel's, so helpers and modules resolve as in the notebook)."""
    source = check_cell(name, cell, inputs, outputs, namespace)
    filename = f"<cell-step {name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    scope: Dict[str, Any] = {"OP": OP, **TYPE_NAMES}
    exec(compile(source, filename, "exec", dont_inherit=True), namespace, scope)
    op = scope[name]
    op.func.__dflow_source__ = source
    setattr(type(op), "__reduce__", _as_source)
    return op


def _as_source(op: Any) -> Tuple[Any, Tuple[str, str]]:
    """Pickle a cell-step OP as its source bundle: local workers, Slurm jobs and containers
    then run the very text an Argo pod runs."""
    from dflow_nb.python.op_source import source_bundle
    bundle = source_bundle(op)
    assert bundle is not None   # a cell-step OP always has its cell
    return load_cell_op, (op.func.__name__, bundle)


def load_cell_op(name: str, source: str) -> Any:
    """A cell-step OP rebuilt from its shipped source (what unpickling one runs)."""
    filename = f"<cell-step {name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    scope: Dict[str, Any] = {"__name__": "__dflow_op__"}
    exec(compile(source, filename, "exec", dont_inherit=True), scope)
    return scope[name]


__all__ = ["CellStepError", "Port", "cell_op", "cell_source", "check_cell", "load_cell_op",
           "parse_type"]
