"""An OP's failure as its author reads it: their frames first, each with its source line, and
dflow_nb's own frames (the worker, the runner) after them, under a marker a view can fold.

A worker process runs an OP pickled in a notebook kernel; the code of a notebook cell (or of
text given to ``exec``) is in no file there, so a traceback would say ``line 19`` without the
line. ``op_sources`` takes those lines (and each function's file, which pickling drops) from the
process that defined the OP, ``add_sources`` gives them back in the process that runs it.
"""
from __future__ import annotations

import inspect
import linecache
import os
import sys
import traceback
import types
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

#: The line before dflow_nb's own frames in a failed step's log (views fold from it).
ENGINE_FRAMES = "--- dflow_nb's own frames (what called your code), outermost first ---"

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_MAX_OBJECTS = 200   # how many functions and classes op_functions follows at most
PICKLED = "<dynamic-code>"   # cloudpickle's file name for every function it pickles by value


def _engine(frame: traceback.FrameSummary) -> bool:
    return os.path.abspath(frame.filename).startswith(_PACKAGE)


def format_failure(exc: BaseException) -> str:
    """The traceback with the user's frames (from the first one the engine called) and their
    source lines, then ``ENGINE_FRAMES`` and the frames that led there, then the exception
    (last, as Python puts it: the log's last line says what went wrong)."""
    report = traceback.TracebackException.from_exception(exc)
    frames = list(report.stack)
    first = next((i for i, f in enumerate(frames) if _engine(f)), None)
    cut = 0 if first is None else next(
        (i for i in range(first, len(frames)) if not _engine(frames[i])), len(frames))
    report.stack = traceback.StackSummary.from_list(frames[cut:])
    lines = list(report.format())
    what = len(list(report.format_exception_only()))
    engine = [ENGINE_FRAMES + "\n", *traceback.StackSummary.from_list(frames[:cut]).format()] \
        if cut else []
    return "".join(lines[:len(lines) - what] + engine + lines[len(lines) - what:])


def print_failure(exc: BaseException) -> None:
    """``format_failure`` on stderr (the step's log)."""
    sys.stderr.write(format_failure(exc))
    sys.stderr.flush()


@dataclass
class CodeSources:
    """What a process needs to show the lines of an OP's notebook code: the lines by file
    name, and the file of each function (by qualified name and first line), which pickling
    loses (cloudpickle names every such function's file ``<dynamic-code>``)."""

    lines: Dict[str, List[str]] = field(default_factory=dict)
    files: Dict[Tuple[str, int], str] = field(default_factory=dict)


def op_sources(op: Any) -> CodeSources:
    """The file of each function of the OP, and the lines of those no file holds (a notebook
    cell, text given to ``exec``) as this process's ``linecache`` has them; a cell is named
    as IPython names it."""
    found = CodeSources()
    cells = _cell_names()
    for func in op_functions(op):
        code = func.__code__
        name = cells.get(code.co_filename, code.co_filename)
        found.files[_where(code)] = name
        if name not in found.lines and not os.path.exists(code.co_filename):
            lines = linecache.getlines(code.co_filename)
            if lines:
                found.lines[name] = lines
    return found


def add_sources(op: Any, sources: Optional[CodeSources]) -> None:
    """Give the OP's functions back their files and this process's ``linecache`` their lines
    (``op_sources`` of the process that pickled the OP)."""
    if not sources:
        return
    for name, lines in sources.lines.items():
        cache_source(name, lines)
    for func in op_functions(op):
        file = sources.files.get(_where(func.__code__))
        if file is not None and func.__code__.co_filename == PICKLED:
            func.__code__ = _renamed(func.__code__, file)


def cache_source(name: str, lines: List[str]) -> None:
    """Make ``lines`` what tracebacks show for file ``name`` (code that is in no file)."""
    linecache.cache[name] = (sum(map(len, lines)), None, list(lines), name)


def _where(code: types.CodeType) -> Tuple[str, int]:
    return getattr(code, "co_qualname", code.co_name), code.co_firstlineno


def _renamed(code: types.CodeType, filename: str) -> types.CodeType:
    consts = tuple(_renamed(c, filename) if isinstance(c, types.CodeType) else c
                   for c in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


def _cell_names() -> Dict[str, str]:
    """IPython's cell file names and how its tracebacks show them (``Cell In[3]``)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    numbers = getattr(getattr(shell, "compile", None), "_filename_map", None) or {}
    return {name: f"Cell In[{n}]" for name, n in numbers.items()}


def op_functions(op: Any) -> Iterator[types.FunctionType]:
    """The OP's methods, its function, and the functions and classes of the defining module
    they name (a helper from another cell), breadth first."""
    todo: List[Any] = [getattr(op, "func", None), op if inspect.isclass(op) else type(op)]
    seen: Set[int] = set()
    while todo and len(seen) < _MAX_OBJECTS:
        obj = todo.pop(0)
        if obj is None or id(obj) in seen:
            continue
        seen.add(id(obj))
        if inspect.isclass(obj):
            if obj.__module__.startswith(("dflow_nb", "builtins", "abc", "typing")):
                continue
            for value in vars(obj).values():
                todo.append(getattr(value, "__func__", value))   # classmethod/staticmethod
            todo.extend(obj.__bases__)
            continue
        func = inspect.unwrap(obj) if callable(obj) else obj
        if not isinstance(func, types.FunctionType):
            continue
        yield func
        names = func.__globals__
        todo.extend(names.get(n) for n in func.__code__.co_names
                    if inspect.isfunction(names.get(n)) or inspect.isclass(names.get(n)))
