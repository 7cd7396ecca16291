"""Cells as steps: ``%%dflow step`` makes a cell a step of the workflow the notebook builds.

::

    %%dflow step prepare n:int=100 -> xs:List[int]
    xs = list(range(n))

    %%dflow step square x=prepare.xs --slices x -> y:int
    y = x * x

- Inputs: ``NAME:TYPE=DEFAULT`` (a Python literal), or ``NAME=CELL.OUTPUT`` wired from another
  cell-step (its type comes along; an artifact output makes an artifact input, a path).
- Outputs after ``->``: ``NAME:TYPE`` (variables the cell leaves behind), ``NAME:Artifact`` (a
  variable holding the path of a file or directory the cell wrote).
- Options: ``--slices x`` (one step per element; outputs stack into lists), ``--group-size``,
  ``--key`` (default: the cell's name, ``NAME-{{item}}`` when sliced), ``--when`` (``{{CELL.OUT}}``
  reads another cell's output), ``--continue-on-failed``/``-error``/``-num-success``/
  ``-success-ratio``, ``--retries``, ``--parallelism``, ``--executor VAR``, ``--image``, and
  ``--run``: also run the cell in this kernel (inputs bound as variables, outputs left behind).

The cell becomes a function OP whose source is its text (``dflow_nb.python.cell_op``). The
workflow is a DAG whose dependencies are the wiring; ``%dflow graph`` draws it, ``%dflow run``
submits it (or ``wf = cell_workflow()`` in a ``%%dflow submit`` cell), and the run is watched,
reused and debugged as any other. Running a cell again redefines its step.
"""
from __future__ import annotations

import argparse
import ast
import keyword
import re
import shlex
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from dflow_nb.hub.records import StepRecord
from dflow_nb.hub.workflow import Workflow
from dflow_nb.model.names import kebab
from dflow_nb.notebook.svg import render_svg
from dflow_nb.python.cell_op import CellStepError, Port, cell_op, parse_type
from dflow_nb.python.op_runner import format_parameter

_OUT = "\x00->"     # '->' would look like an option to argparse
# IPython expands ``{var}`` in a magic line and turns ``{{`` into ``{``: both forms are taken
_WHEN_REF = re.compile(r"\{\{?\s*([A-Za-z_]\w*)\.([A-Za-z_]\w*)\s*\}\}?")
_ITEM = re.compile(r"(?<!\{)\{(item[^{}]*)\}(?!\})")


@dataclass
class Wire:
    """An input read from another cell-step's output."""

    step: str
    output: str


@dataclass
class CellStep:
    """One cell made a step: its OP, ports, literal inputs, wiring and Step options."""

    name: str
    cell: str
    op: Any
    inputs: List[Port]
    outputs: List[Port]
    values: Dict[str, Any] = field(default_factory=dict)
    wires: Dict[str, Wire] = field(default_factory=dict)
    slices: List[str] = field(default_factory=list)
    options: Dict[str, Any] = field(default_factory=dict)
    template_options: Dict[str, Any] = field(default_factory=dict)
    when_refs: List[Wire] = field(default_factory=list)

    @property
    def task(self) -> str:
        """The DAG task's name (Argo names take no underscores)."""
        return kebab(self.name).lower().replace("_", "-")

    def depends(self) -> List[str]:
        out: List[str] = []
        for w in [*self.wires.values(), *self.when_refs]:
            if w.step not in out:
                out.append(w.step)
        return out

    def port(self, name: str) -> Optional[Port]:
        return next((p for p in self.outputs if p.name == name), None)

    def summary(self) -> str:
        ins = [f"{p.name} ← {self.wires[p.name].step}.{self.wires[p.name].output}"
               if p.name in self.wires else f"{p.name}={self.values[p.name]!r}"
               for p in self.inputs]
        outs = [f"{p.name}:{p.text}" for p in self.outputs]
        sliced = f", sliced over {', '.join(self.slices)}" if self.slices else ""
        return (f"cell-step {self.name}: ({', '.join(ins)}) -> ({', '.join(outs)}){sliced}; "
                f"key {self.options.get('key')!r}")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="%%dflow step", add_help=False, exit_on_error=False)
    p.add_argument("name")
    p.add_argument("ports", nargs="*")
    p.add_argument("--slices")
    p.add_argument("--group-size", type=int)
    p.add_argument("--key")
    p.add_argument("--when")
    p.add_argument("--continue-on-failed", action="store_true")
    p.add_argument("--continue-on-error", action="store_true")
    p.add_argument("--continue-on-num-success", type=int)
    p.add_argument("--continue-on-success-ratio", type=float)
    p.add_argument("--retries", type=int)
    p.add_argument("--parallelism", type=int)
    p.add_argument("--executor")
    p.add_argument("--image")
    p.add_argument("--run", action="store_true")
    return p


def parse_line(line: str) -> argparse.Namespace:
    """The ``%%dflow step`` line (after ``step``); ValueError says what is wrong."""
    words = [_OUT if w == "->" else w for w in shlex.split(line)]
    try:
        args, extra = _parser().parse_known_intermixed_args(words)
    except argparse.ArgumentError as exc:
        raise ValueError(f"%%dflow step: {exc}") from None
    except SystemExit:   # argparse exits on a missing NAME even with exit_on_error=False
        raise ValueError("%%dflow step: give the step a name: %%dflow step NAME "
                         "[INPUT ...] [-> OUTPUT ...] [options]") from None
    if extra:
        raise ValueError(f"%%dflow step: unknown option(s) {' '.join(extra)} (see %dflow help)")
    if not args.name.isidentifier() or keyword.iskeyword(args.name):
        raise ValueError(f"%%dflow step: the step's name {args.name!r} must be a Python "
                         "identifier (other cells wire to it as NAME.OUTPUT)")
    return args


class CellSteps:
    """The cell-steps a kernel has defined, in definition order, and their kernel results."""

    def __init__(self) -> None:
        self.steps: Dict[str, CellStep] = {}
        self.kernel: Dict[str, Dict[str, Any]] = {}

    # -- defining ------------------------------------------------------------------------------
    def define(self, line: str, cell: str, namespace: Dict[str, Any]) -> Tuple[CellStep, bool]:
        """Make (or remake) a cell-step from a magic line and the cell; (step, run it here?)."""
        args = parse_line(line)
        name = args.name
        if _OUT in args.ports:
            cut = args.ports.index(_OUT)
            in_words, out_words = args.ports[:cut], args.ports[cut + 1:]
        else:
            in_words, out_words = args.ports, []
        slices = [s for s in (args.slices or "").split(",") if s]
        inputs, values, wires = self._inputs(name, in_words, slices)
        outputs = [self._output(name, w) for w in out_words]
        for s in slices:
            if s not in values and s not in wires:
                raise CellStepError(name, f"--slices {s}: {s!r} is not an input of the cell")
            if s in values and not isinstance(values[s], list):
                raise CellStepError(name, f"--slices {s}: its default {values[s]!r} is not a list")
        op = cell_op(name, cell, inputs, outputs, namespace)
        step = CellStep(name, cell, op, inputs, outputs, values, wires, slices)
        self._options(step, args, namespace)
        self.steps.pop(name, None)
        self.steps[name] = step
        self.kernel.pop(name, None)
        return step, args.run

    def _inputs(self, cell: str, words: List[str], slices: List[str]
                ) -> Tuple[List[Port], Dict[str, Any], Dict[str, Wire]]:
        ports: List[Port] = []
        values: Dict[str, Any] = {}
        wires: Dict[str, Wire] = {}
        for word in words:
            left, eq, raw = word.partition("=")
            var, colon, type_text = left.partition(":")
            var = var.strip()
            if not var.isidentifier():
                raise CellStepError(cell, f"input {word!r} is not NAME=VALUE, NAME:TYPE=VALUE or "
                                    "NAME=CELL.OUTPUT")
            if not eq:
                raise CellStepError(cell, f"input {var!r} has no default and is not wired: write "
                                    f"{var}=VALUE or {var}=CELL.OUTPUT")
            given = parse_type(var, type_text, cell, "input") if colon else None
            wire = self._wire(cell, var, raw.strip(), given)
            if wire is not None:
                wires[var] = wire
                port = given or self._wired_port(wire, var in slices)
            else:
                value = _literal(raw, given)
                values[var] = value
                port = given or _port_of(value if var not in slices or not value else value[0])
            if port.artifact and var in values and not isinstance(values[var], str):
                raise CellStepError(cell, f"artifact input {var!r} takes a path or CELL.OUTPUT")
            ports.append(Port(var, port.text, port.type, port.artifact))
        return ports, values, wires

    def _wire(self, cell: str, var: str, raw: str, given: Optional[Port]) -> Optional[Wire]:
        src, dot, out = raw.partition(".")
        if not dot or not src.isidentifier() or not out.isidentifier():
            return None
        if src not in self.steps:
            if given is not None and given.type is str:
                return None   # a string that looks dotted, e.g. a file name
            known = ", ".join(self.steps) or "none yet"
            raise CellStepError(cell, f"input {var!r} is wired to {raw}, but no cell-step is "
                                f"named {src!r} (cell-steps: {known})")
        if src == cell:
            raise CellStepError(cell, f"input {var!r} is wired to the cell's own output")
        if self.steps[src].port(out) is None:
            outs = ", ".join(p.name for p in self.steps[src].outputs) or "none"
            raise CellStepError(cell, f"input {var!r} is wired to {raw}, but cell {src!r} has no "
                                f"output {out!r} (its outputs: {outs})")
        return Wire(src, out)

    def _wired_port(self, wire: Wire, sliced: bool) -> Port:
        """The type an input wired to ``wire`` takes: a sliced source stacks its outputs into a
        list; slicing over the input takes one element."""
        src = self.steps[wire.step]
        port = src.port(wire.output)
        assert port is not None
        if port.artifact:
            return Port("", "Artifact(Path)", Path, True)
        text, tp = port.text, port.type
        if src.slices:
            text, tp = f"List[{text}]", List[tp]  # type: ignore[valid-type]
        if sliced:
            args = getattr(tp, "__args__", None)
            text = text[5:-1] if text.startswith("List[") else "Any"
            tp = args[0] if args and text != "Any" else Any
        return Port("", text, tp)

    def _output(self, cell: str, word: str) -> Port:
        var, colon, type_text = word.partition(":")
        if not var.isidentifier():
            raise CellStepError(cell, f"output {word!r} is not NAME or NAME:TYPE")
        return parse_type(var, type_text, cell, "output") if colon else Port(var)

    def _options(self, step: CellStep, args: argparse.Namespace, ns: Dict[str, Any]) -> None:
        opts: Dict[str, Any] = {
            "key": _ITEM.sub(r"{{\1}}", args.key) if args.key else
            f"{step.name}-{{{{item}}}}" if step.slices else step.name,
            "continue_on_failed": args.continue_on_failed,
            "continue_on_error": args.continue_on_error,
            "continue_on_num_success": args.continue_on_num_success,
            "continue_on_success_ratio": args.continue_on_success_ratio,
            "parallelism": args.parallelism}
        if args.when:
            opts["when"] = self._when(step, args.when)
        if args.executor:
            from dflow_nb.model.executor import Executor
            executor = ns.get(args.executor)
            if not isinstance(executor, Executor):
                raise CellStepError(step.name, f"--executor {args.executor}: no Executor of that "
                                    "name in the kernel (create it in a cell before)")
            opts["executor"] = executor
        step.options = {k: v for k, v in opts.items() if v not in (None, False)}
        tmpl: Dict[str, Any] = {"image": args.image, "retry_on_failure": args.retries}
        if step.slices:
            from dflow_nb.python import Slices
            arts = {p.name for p in step.inputs if p.artifact}
            tmpl["slices"] = Slices(
                input_parameter=[s for s in step.slices if s not in arts],
                input_artifact=[s for s in step.slices if s in arts],
                output_parameter=[p.name for p in step.outputs if not p.artifact],
                output_artifact=[p.name for p in step.outputs if p.artifact],
                group_size=args.group_size, pool_size=1 if args.group_size else None)
        step.template_options = {k: v for k, v in tmpl.items() if v is not None}

    def _when(self, step: CellStep, text: str) -> str:
        """``{{CELL.OUT}}`` -> the task output it names (and a dependency on that cell)."""
        def task_ref(m: "re.Match[str]") -> str:
            src, out = m.group(1), m.group(2)
            if src not in self.steps or self.steps[src].port(out) is None:
                raise CellStepError(step.name, f"--when reads {{{{{src}.{out}}}}}, which is no "
                                    "cell-step's output")
            step.when_refs.append(Wire(src, out))
            return f"{{{{tasks.{self.steps[src].task}.outputs.parameters.{out}}}}}"
        return _WHEN_REF.sub(task_ref, text)

    # -- building ------------------------------------------------------------------------------
    def order(self) -> List[CellStep]:
        """Cell-steps with every cell after those it reads (a cell redefined later may have
        moved); a wire to a cell since renamed or changed is an error naming both."""
        done: Dict[str, CellStep] = {}
        visiting: Set[str] = set()

        def visit(step: CellStep) -> None:
            if step.name in done:
                return
            if step.name in visiting:
                raise CellStepError(step.name, "its inputs are wired in a cycle")
            visiting.add(step.name)
            for w in [*step.wires.values(), *step.when_refs]:
                src = self.steps.get(w.step)
                if src is None or src.port(w.output) is None:
                    raise CellStepError(step.name, f"it reads {w.step}.{w.output}, which no "
                                        "cell-step defines any more")
                visit(src)
            done[step.name] = step
        for step in self.steps.values():
            visit(step)
        return list(done.values())

    def workflow(self, name: str = "cell-steps", **kwargs: Any) -> Workflow:
        """A new Workflow (not submitted) of every cell-step, as a DAG."""
        from dflow_nb.model.dag import DAG
        from dflow_nb.model.step import Task
        from dflow_nb.python import PythonOPTemplate
        if not self.steps:
            raise LookupError("no cell-steps yet: start a cell with %%dflow step NAME ...")
        dag = DAG(f"{name}-cells")
        tasks: Dict[str, Any] = {}
        for step in self.order():
            params: Dict[str, Any] = dict(step.values)
            arts: Dict[str, Any] = {}
            for var, w in step.wires.items():
                src = tasks[w.step]
                if self.steps[w.step].port(w.output).artifact:  # type: ignore[union-attr]
                    arts[var] = src.outputs.artifacts[w.output]
                else:
                    params[var] = src.outputs.parameters[w.output]
            for p in step.inputs:
                if p.artifact and p.name in params:
                    from dflow_nb.hub.artifacts import upload_artifact
                    arts[p.name] = upload_artifact(params.pop(p.name))
            tasks[step.name] = Task(
                step.task, PythonOPTemplate(step.op, **step.template_options),
                parameters=params, artifacts=arts,
                dependencies=[self.steps[d].task for d in step.depends()], **step.options)
            dag.add(tasks[step.name])
        return Workflow(name, dag=dag, **kwargs)

    def reused(self, old: Workflow, names: str) -> List[StepRecord]:
        """The steps of run ``old`` that cell-steps ``names`` (comma-separated; all if empty)
        keyed, slices included, that succeeded."""
        wanted = [n for n in names.split(",") if n] or list(self.steps)
        unknown = [n for n in wanted if n not in self.steps]
        if unknown:
            raise LookupError(f"--reuse: no cell-step named {', '.join(unknown)}")
        keys = {self.steps[n].options.get("key", ""): n for n in wanted}
        found = []
        for rec in old.query_step(phase="Succeeded"):
            if rec.key and any(rec.key == k or (k.endswith("{{item}}") and
                                                rec.key.startswith(k[:-8]))
                               for k in keys):
                found.append(rec)
        if not found:
            raise LookupError(f"--reuse: run {old.id} has no succeeded step of cell-steps "
                              f"{', '.join(wanted)}")
        return found

    # -- running in the kernel -----------------------------------------------------------------
    def kernel_inputs(self, step: CellStep) -> Dict[str, Any]:
        """Input values for a run in the kernel: defaults, and wired cells' kernel outputs."""
        values = dict(step.values)
        for var, w in step.wires.items():
            ran = self.kernel.get(w.step)
            if ran is None:
                raise CellStepError(step.name, f"input {var!r} reads {w.step}.{w.output}: run "
                                    f"cell {w.step!r} in the kernel first (add --run to it)")
            values[var] = ran[w.output]
        for p in step.inputs:
            if p.artifact and values.get(p.name) is not None:
                values[p.name] = Path(values[p.name])
        return values

    def run_in_kernel(self, step: CellStep, namespace: Dict[str, Any],
                      run_code: Callable[[str], Any]) -> Dict[str, Any]:
        """Run the cell's code here (as a cell runs), with its inputs bound as variables; its
        outputs are checked as a step would check them and kept for cells wired to it."""
        values = self.kernel_inputs(step)
        calls = [values]
        if step.slices:
            n = {len(values[s]) for s in step.slices}
            if len(n) != 1:
                raise CellStepError(step.name, f"--slices {','.join(step.slices)}: the sliced "
                                    "inputs have different lengths")
            calls = [{**values, **{s: values[s][i] for s in step.slices}}
                     for i in range(n.pop())]
        results: List[Dict[str, Any]] = []
        for call in calls:
            namespace.update(call)
            run_code(step.cell)
            try:
                results.append({p.name: self._output_value(step, p, namespace)
                                for p in step.outputs})
            except CellStepError:
                self.steps.pop(step.name, None)   # it cannot be a step as it stands
                raise
        outs = results[0] if not step.slices else \
            {p.name: [r[p.name] for r in results] for p in step.outputs}
        namespace.update(outs)
        self.kernel[step.name] = outs
        return outs

    def _output_value(self, step: CellStep, port: Port, namespace: Dict[str, Any]) -> Any:
        if port.name not in namespace:
            raise CellStepError(step.name, f"output {port.name!r} was not assigned")
        value = namespace[port.name]
        if port.artifact:
            if not isinstance(value, (str, Path)) or not Path(value).exists():
                raise CellStepError(step.name, f"artifact output {port.name!r} must be the path "
                                    f"of a file or directory the cell wrote, given {value!r}")
            return Path(value)
        try:
            format_parameter(value, f"output {port.name!r}")
        except TypeError:
            raise CellStepError(step.name, f"output {port.name!r} is a {type(value).__name__}, "
                                "which cannot be serialised as a parameter (JSON values and "
                                "objects of plain classes can): write it to a file and declare "
                                f"{port.name}:Artifact") from None
        return value

    def drop(self, names: List[str]) -> None:
        """Forget cell-steps (a cell deleted from the notebook); one that others read stays."""
        for name in names:
            if name not in self.steps:
                raise LookupError(f"no cell-step named {name!r} (cell-steps: "
                                  f"{', '.join(self.steps) or 'none'})")
            readers = [s.name for s in self.steps.values()
                       if s.name not in names and name in s.depends()]
            if readers:
                raise CellStepError(name, f"cell-steps {', '.join(readers)} read it: drop or "
                                    "redefine them first")
        for name in names:
            self.steps.pop(name)
            self.kernel.pop(name, None)

    # -- the picture ---------------------------------------------------------------------------
    def graph(self) -> "CellGraph":
        steps = self.order()
        nodes = [{"id": s.name, "displayName": s.name, "type": "Pod", "phase": "Pending",
                  "caption": (f"×{s.slices[0]}  " if s.slices else "")
                  + ", ".join(p.name for p in s.outputs)} for s in steps]
        edges = [(d, s.name) for s in steps for d in s.depends()]
        return CellGraph(nodes, edges)


@dataclass
class CellGraph:
    """The DAG of the cell-steps before anything runs, drawn as the live view draws runs."""

    nodes: List[Dict[str, Any]]
    edges: List[Tuple[str, str]]

    def text(self) -> str:
        lines = [f"{len(self.nodes)} cell-steps"]
        for n in self.nodes:
            ins = [a for a, b in self.edges if b == n["id"]]
            lines.append(f"  {n['id']}" + (f" <- {', '.join(ins)}" if ins else ""))
        return "\n".join(lines)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Dict[str, Any]:
        svg = render_svg(self.nodes, self.edges)
        return {"text/plain": self.text(), "image/svg+xml": svg,
                "text/html": f"<div title=\"{escape(self.text())}\">{svg}</div>"}


def _literal(raw: str, given: Optional[Port]) -> Any:
    """A default as a Python literal; bare text is a string (shell quoting eats the quotes)."""
    try:
        value = ast.literal_eval(raw.strip())
    except (ValueError, SyntaxError):
        return raw
    return raw if given is not None and given.type is str and not isinstance(value, str) \
        else value


def _port_of(value: Any) -> Port:
    """The type of an untyped input, from its default."""
    for tp in (bool, int, float, str, list, dict):
        if isinstance(value, tp):
            return Port("", tp.__name__, tp)
    return Port("")


_REGISTRY = CellSteps()


def registry() -> CellSteps:
    """This kernel's cell-steps (one notebook per kernel)."""
    return _REGISTRY


def cell_workflow(name: str = "cell-steps", **kwargs: Any) -> Workflow:
    """The workflow of this notebook's cell-steps (for a ``%%dflow submit`` cell or a script)."""
    return _REGISTRY.workflow(name, **kwargs)


__all__ = ["CellStep", "CellSteps", "CellStepError", "cell_workflow", "registry"]
