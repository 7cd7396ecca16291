"""``%load_ext dflow_nb``: the ``%dflow`` line magics and ``%%dflow`` cell magics.

Every command reads and acts through ``Workflow`` only, so it works the same on the local engine
and on Argo. A mistake (unknown workflow or step, a bad option, a lost connection) is a one-line
``UsageError`` in the cell, never a traceback wall; the one traceback on purpose is the OP's own
exception under ``%dflow debug``.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import shlex
from typing import Any, Dict, Iterator, List, NoReturn, Optional

from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.magic import Magics, line_cell_magic, magics_class

from dflow_nb.config import config, local_mode, set_config
from dflow_nb.errors import DflowNbError, StepNotFound
from dflow_nb.hub.records import StepRecord
from dflow_nb.hub.workflow import Workflow, find_run, query_workflows

HELP = """Dflow from notebook cells (load with ``%load_ext dflow_nb``).

Cell magics
  %%dflow op
      Run the cell and keep its source on every OP it defines (``__dflow_source__`` on the OP
      class, and on the function of an ``@OP.function``), so notebook-defined OPs ship to Argo
      as source.
  %%dflow submit [--name N] [--wait] [--reuse WF:KEY1,KEY2] [--argo | --local]
      Run the cell, submit the Workflow it builds (or follow the one it submitted) and show the
      live view. --wait blocks until the run ends; --reuse reuses those keyed steps of run WF.
  %%dflow step NAME [IN=VALUE | IN:TYPE=VALUE | IN=CELL.OUT ...] [-> OUT:TYPE | OUT:Artifact ...]
               [--slices IN] [--group-size N] [--key K] [--when EXPR] [--continue-on-failed]
               [--continue-on-error] [--continue-on-num-success N] [--continue-on-success-ratio R]
               [--retries N] [--parallelism N] [--executor VAR] [--image IMG] [--run]
      Make the cell a step of the notebook's workflow: a function OP whose source is the cell;
      inputs are literals or wired from another cell-step's output; outputs are variables the
      cell leaves behind (artifacts: paths). --run also runs it here with its inputs bound.

Line magics (WF: a run id, the name of a Workflow variable, or a workflow's name (its newest
run); "-" or nothing: the last run)
  %dflow mode [local|argo]               show or set where runs go
  %dflow where                           where local runs keep their state and step folders
  %dflow config [KEY=VALUE ...] [--token-env VAR]
                                         show or set config (host, namespace, ...); the Argo
                                         token is read from environment variable VAR, never typed
  %dflow list [--phase P]                runs as a DataFrame
  %dflow watch [WF] [--wait]             the live view of a run
  %dflow steps [WF] [--phase P] [--key K] [--name N]
                                         steps as a DataFrame
  %dflow logs WF STEP [--tail N] [--grep PATTERN]
                                         a step's log (STEP: key, name, loop item or node id)
  %dflow debug WF STEP                   re-run a Python OP step in this kernel with its recorded
                                         inputs: its exception surfaces here, %debug works
  %dflow retry|resubmit|stop|terminate|suspend|resume [WF]
                                         act on a run
  %dflow reuse [WF]                      tick steps of a finished run, edit outputs, resubmit
  %dflow yaml [WF]                       the Argo manifest
  %dflow report [WF] [PATH]              write the run's report notebook (DAG, steps, failures
                                         with logs, inputs/outputs; renders on GitHub/nbviewer)
  %dflow graph [--drop CELL ...]         the DAG of the cell-steps, before anything runs
                                         (--drop: forget cell-steps whose cells are gone)
  %dflow run [--name N] [--wait] [--reuse WF[:CELL,...]] [--argo | --local]
                                         submit the cell-steps as one workflow (--reuse: those
                                         cells' succeeded steps of run WF; all without :CELL)
  %dflow help                            this text
"""

ACTIONS = ("retry", "resubmit", "stop", "terminate", "suspend", "resume")
SHOWN_CONFIG = ("mode", "host", "namespace", "token", "k8s_api_server", "debug_workdir")


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad option as a one-line UsageError instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def _parser() -> _Parser:
    top = _Parser(prog="%dflow", add_help=False)
    sub = top.add_subparsers(dest="command", parser_class=_Parser)
    sub.add_parser("help", add_help=False)
    sub.add_parser("where", add_help=False)
    p = sub.add_parser("mode", add_help=False)
    p.add_argument("mode", nargs="?", choices=("local", "argo"))
    p = sub.add_parser("config", add_help=False)
    p.add_argument("settings", nargs="*")
    p.add_argument("--token-env")
    p = sub.add_parser("list", add_help=False)
    p.add_argument("--phase")
    p = sub.add_parser("watch", add_help=False)
    p.add_argument("wf", nargs="?")
    p.add_argument("--wait", action="store_true")
    p.add_argument("--threshold", type=int)
    p = sub.add_parser("steps", add_help=False)
    p.add_argument("wf", nargs="?")
    p.add_argument("--phase")
    p.add_argument("--key")
    p.add_argument("--name")
    for name in ("logs", "debug"):
        p = sub.add_parser(name, add_help=False)
        p.add_argument("wf")
        p.add_argument("step")
        if name == "logs":
            p.add_argument("--tail", type=int)
            p.add_argument("--grep")
    for name in ACTIONS + ("reuse", "yaml"):
        p = sub.add_parser(name, add_help=False)
        p.add_argument("wf", nargs="?")
    p = sub.add_parser("report", add_help=False)
    p.add_argument("wf", nargs="?")
    p.add_argument("path", nargs="?")
    p = sub.add_parser("op", add_help=False)
    p = sub.add_parser("graph", add_help=False)
    p.add_argument("--drop", nargs="+", default=[])
    for name in ("submit", "run"):
        p = sub.add_parser(name, add_help=False)
        p.add_argument("--name")
        p.add_argument("--wait", action="store_true")
        p.add_argument("--reuse")
        where = p.add_mutually_exclusive_group()
        where.add_argument("--argo", action="store_true")
        where.add_argument("--local", action="store_true")
    return top


@contextlib.contextmanager
def one_line_errors(what: str = "") -> Iterator[None]:
    """Turn the errors a user causes (or a lost connection) into one line in the cell."""
    try:
        yield
    except UsageError:
        raise
    except (DflowNbError, LookupError, ValueError, NotImplementedError, TimeoutError,
            ConnectionError, OSError) as exc:
        raise UsageError(_one_line(exc, what)) from None
    except Exception as exc:
        if type(exc).__module__.startswith(("httpx", "httpcore")):
            raise UsageError(f"lost connection: {_one_line(exc, what)}") from None
        raise


def _one_line(exc: BaseException, what: str) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, KeyError) and exc.args:
        text = str(exc.args[0])
    if isinstance(exc, (ConnectionError, TimeoutError)):
        text = f"lost connection ({type(exc).__name__}: {text})"
    return f"{what}: {text}" if what else text


@contextlib.contextmanager
def _mode(local: bool, argo: bool) -> Iterator[None]:
    """Run a submit against the engine the options name, whatever the config says."""
    if not (local or argo):
        yield
        return
    saved = config["mode"]
    if argo and not config["host"]:
        raise UsageError("--argo needs an Argo server: %dflow config host=https://HOST:2746")
    config["mode"] = "debug" if local else "default"
    try:
        yield
    finally:
        config["mode"] = saved


def _coerce(key: str, raw: str) -> Any:
    current = config.get(key)
    if isinstance(current, bool):
        return raw.lower() in ("1", "true", "yes", "on")
    if isinstance(current, int):
        return int(raw)
    if current is None and raw.lower() in ("none", "null", ""):
        return None
    return raw


@magics_class
class DflowMagics(Magics):
    """The ``%dflow`` magics; remembers the runs it submitted so ``-`` means the last one."""

    def __init__(self, shell: InteractiveShell) -> None:
        super().__init__(shell)
        self.parser = _parser()
        self.runs: Dict[str, Workflow] = {}
        self.last: Optional[Workflow] = None
        self.views: List[Any] = []

    @property
    def ipython(self) -> InteractiveShell:
        """The shell the magics were loaded into (``load_ipython_extension`` always gives one)."""
        assert self.shell is not None
        return self.shell

    @line_cell_magic
    def dflow(self, line: str = "", cell: Optional[str] = None) -> Any:
        verb, _, rest = line.strip().partition(" ")
        if verb == "step":
            return self.cell_step(rest, cell)
        args = self.parser.parse_args(shlex.split(line))
        command = args.command
        if cell is not None:
            if command == "op":
                return self.cell_op(cell)
            if command == "submit":
                return self.cell_submit(cell, args)
            raise UsageError("%%dflow takes 'op', 'step' or 'submit' (see %dflow help)")
        if command in (None, "help"):
            print(HELP)
            return None
        if command in ("op", "submit"):
            raise UsageError(f"%dflow {command} is a cell magic: start the cell with %%dflow {command}")
        return getattr(self, "cmd_" + command)(args)

    dflow.__doc__ = HELP

    # -- resolving names -----------------------------------------------------------------------
    def workflow(self, ref: Optional[str], submitted: bool = True) -> Workflow:
        """A run by id, by the name of a Workflow variable, by its workflow's name (the newest
        run of that name), or the last one ("-"/nothing)."""
        if ref in (None, "-"):
            if self.last is None:
                raise UsageError("no run yet in this session: name one (%dflow list shows them)")
            return self.last
        value = self.ipython.user_ns.get(ref) if ref.isidentifier() else None
        if isinstance(value, Workflow):
            if submitted and not value.id:
                raise UsageError(f"workflow {ref!r} has not been submitted")
            return value
        wf = self.runs.get(ref)
        if wf is not None:
            return wf
        with one_line_errors():
            wf, named = find_run(ref)
        if len(named) > 1:
            others = ", ".join(r.id for r in named[1:4]) + (" …" if len(named) > 4 else "")
            print(f"{ref}: {len(named)} runs of that name; using the newest, {wf.id} "
                  f"({named[0].phase}); the others (name one by id): {others}")
        return wf

    def steps_of(self, wf: Workflow, ref: str) -> List[StepRecord]:
        """Steps named by key, node id, or name (a loop's name matches all its items)."""
        with one_line_errors():
            found = wf.query_step(key=ref) or wf.query_step(id=ref) or wf.query_step(name=ref)
            if found:
                return found
            known = sorted({s.key or s.displayName for s in wf.query_step()})
        shown = ", ".join(known[:12]) + (" …" if len(known) > 12 else "")
        raise UsageError(f"workflow {wf.id} has no step named or keyed {ref!r} (steps: {shown})")

    # -- cells ---------------------------------------------------------------------------------
    def _exec(self, cell: str) -> Dict[str, Any]:
        """Run cell code in the user namespace; returns the names it (re)bound."""
        shell = self.ipython
        ns = shell.user_ns
        before = {k: id(v) for k, v in ns.items()}
        code = shell.transform_cell(cell)
        # cached under the running cell's number (a kernel has counted on by now), so a
        # traceback names it as the notebook shows it: "Cell In[3]"
        number = max(getattr(shell.compile, "_filename_map", {}).values(),
                     default=shell.execution_count)
        filename = shell.compile.cache(code, number, raw_code=cell)
        exec(compile(code, filename, "exec"), shell.user_global_ns, ns)
        return {k: v for k, v in ns.items() if before.get(k) != id(v) and not k.startswith("_")}

    def cell_op(self, cell: str) -> None:
        from dflow_nb.python.op import OP
        bound = self._exec(cell)
        made = []
        for name, value in bound.items():
            if isinstance(value, type) and issubclass(value, OP) and value is not OP:
                value.__dflow_source__ = cell
                made.append(f"{name} (class)")
            elif isinstance(value, OP):
                type(value).__dflow_source__ = cell
                func = getattr(value, "func", None)
                if func is not None:
                    func.__dflow_source__ = cell
                made.append(f"{name} (function)")
        if not made:
            raise UsageError("this cell defined no OP (a subclass of dflow_nb.python.OP or an "
                             "@OP.function)")
        print(f"OP{'s' if len(made) > 1 else ''} defined, source kept: {', '.join(made)}")

    def cell_submit(self, cell: str, args: argparse.Namespace) -> None:
        bound = self._exec(cell)
        built = [v for v in bound.values() if isinstance(v, Workflow)]
        if not built:
            raise UsageError("this cell built no Workflow (assign it to a variable)")
        if len(built) > 1:
            names = ", ".join(k for k, v in bound.items() if isinstance(v, Workflow))
            raise UsageError(f"this cell built {len(built)} workflows ({names}); submit one per cell")
        wf = built[0]
        if wf.id:
            if args.reuse or args.name or args.argo or args.local:
                raise UsageError("the cell already submitted its workflow: drop the submit "
                                 "options, or don't submit inside the cell")
        else:
            self._submit(wf, args, self._reuse_steps(args.reuse) if args.reuse else None)
        self._remember(wf)
        self._watch(wf, args.wait)

    def _submit(self, wf: Workflow, args: argparse.Namespace,
                reuse: Optional[List[StepRecord]]) -> None:
        with one_line_errors("submit"):
            if args.name:
                from dflow_nb.model.names import check_workflow_name
                wf.name = check_workflow_name(args.name)
            said = io.StringIO()
            with _mode(args.local, args.argo), contextlib.redirect_stdout(said):
                wf.submit(reuse_step=reuse, wait=False)
        # the live view shows the run: a "running locally" line would stay stale above it;
        # Argo's submitted/link lines stay
        print("".join(line for line in said.getvalue().splitlines(keepends=True)
                      if not line.startswith("Workflow is running locally")), end="")

    def cell_step(self, line: str, cell: Optional[str]) -> None:
        from dflow_nb.notebook.cell_steps import registry
        if cell is None:
            raise UsageError("%dflow step is a cell magic: start the cell with %%dflow step NAME")
        with one_line_errors():
            step, run = registry().define(line, cell, self.ipython.user_ns)
        print(step.summary())
        if run:
            from dflow_nb.python.cell_op import CellStepError
            try:   # the cell's own exceptions surface as in any cell
                outs = registry().run_in_kernel(step, self.ipython.user_ns, self._exec)
            except CellStepError as exc:
                raise UsageError(str(exc)) from None
            print(f"ran here: {', '.join(outs) or 'no outputs'} left in the kernel")

    def _reuse_steps(self, spec: str) -> List[StepRecord]:
        wf_ref, sep, keys = spec.partition(":")
        if not sep or not keys:
            raise UsageError("--reuse takes WF:KEY1,KEY2 (a run and the keys of steps to reuse)")
        old = self.workflow(wf_ref)
        wanted = [k for k in keys.split(",") if k]
        with one_line_errors("--reuse"):
            found = old.query_step(key=wanted)
        missing = sorted(set(wanted) - {s.key for s in found})
        if missing:
            raise UsageError(f"--reuse: run {old.id} has no step keyed {', '.join(missing)}")
        return found

    def _remember(self, wf: Workflow) -> None:
        if wf.id:   # always: only submitted runs are remembered
            self.runs[wf.id] = wf
        self.last = wf

    def _watch(self, wf: Workflow, wait: bool, threshold: Optional[int] = None) -> Any:
        from dflow_nb.notebook.widgets import LiveView
        view = LiveView(wf) if threshold is None else LiveView(wf, threshold)
        view.show(live=not wait)
        self.views.append(view)
        if wait:
            view.follow()
        return view

    # -- line commands -------------------------------------------------------------------------
    def cmd_mode(self, args: argparse.Namespace) -> None:
        if args.mode == "local":
            config["mode"] = "debug"
        elif args.mode == "argo":
            if not config["host"]:
                raise UsageError("argo mode needs an Argo server: %dflow config host=https://HOST:2746")
            config["mode"] = "default"
        local = config["mode"] == "debug" or not config["host"]
        print(f"mode: {'local' if local else 'argo'}"
              + ("" if local else f" ({config['host']}, namespace {config['namespace']})"))

    def cmd_where(self, args: argparse.Namespace) -> None:
        from dflow_nb.config import DEFAULT_WORKDIR, STATE_DB, work_directory
        from dflow_nb.hub.backend import backend_for
        root = work_directory().resolve()
        with one_line_errors("where"):
            runs = len(backend_for(True, root).list())
        print(f"work directory: {root} (debug_workdir: {config['debug_workdir']})\n"
              f"state database: {root / STATE_DB} ({runs} run{'s' if runs != 1 else ''})\n"
              f"step folders:   {root}{os.sep}<run id>{os.sep}")
        if config["debug_workdir"] == DEFAULT_WORKDIR and root.name != DEFAULT_WORKDIR:
            print(f"(this folder keeps its runs from before {DEFAULT_WORKDIR}/ was the default "
                  "beside the notebooks: they stay readable here)")
        if not local_mode():
            print(f"(runs go to Argo at {config['host']} now: %dflow mode local to run here)")

    def cmd_config(self, args: argparse.Namespace) -> None:
        for item in args.settings:
            key, sep, raw = item.partition("=")
            if not sep:
                raise UsageError(f"%dflow config: {item!r} is not KEY=VALUE")
            if key == "token":
                raise UsageError("never type a token into a cell: %dflow config --token-env VAR "
                                 "reads it from the environment")
            with one_line_errors("config"):
                set_config(**{key: _coerce(key, raw)})
        if args.token_env:
            token = os.environ.get(args.token_env)
            if not token:
                raise UsageError(f"environment variable {args.token_env} is not set")
            config["token"] = token
        for key in SHOWN_CONFIG:
            value = config.get(key)
            if key == "token":
                value = "(set)" if value else "(not set)"
            print(f"{key}: {value}")

    def cmd_list(self, args: argparse.Namespace) -> Any:
        from dflow_nb.notebook.tables import workflows_frame
        with one_line_errors("list"):
            records = query_workflows()
        if args.phase:
            records = [r for r in records if r.phase == args.phase]
        return workflows_frame(records)

    def cmd_watch(self, args: argparse.Namespace) -> None:
        wf = self.workflow(args.wf)
        self._remember(wf)
        self._watch(wf, args.wait, args.threshold)

    def cmd_steps(self, args: argparse.Namespace) -> Any:
        from dflow_nb.notebook.tables import steps_frame
        wf = self.workflow(args.wf)
        with one_line_errors("steps"):
            steps = wf.query_step(phase=args.phase, key=args.key, name=args.name)
        return steps_frame(steps)

    def cmd_logs(self, args: argparse.Namespace) -> None:
        from dflow_nb.notebook.debug import argo_backend, leaf_of
        from dflow_nb.notebook.logs import read_log
        wf = self.workflow(args.wf)
        steps = self.steps_of(wf, args.step)
        with one_line_errors("logs"):
            on_argo = argo_backend(wf) is not None  # Argo Pods have no step directory
            ran = [s for s in steps if s.dir or s.type == "Retry" or (on_argo and s.type == "Pod")]
            leaves = [s if s.dir or s.type == "Pod" else leaf_of(wf, s) for s in ran]
            if not leaves:
                raise StepNotFound(f"{args.step!r} ran no container, so it has no log")
            for s in leaves:
                text = read_log(wf, s, tail=args.tail, grep=args.grep)
                if len(leaves) > 1:
                    print(f"==> {s.displayName} [{s.phase}] <==")
                print(text)

    def cmd_debug(self, args: argparse.Namespace) -> Any:
        from dflow_nb.notebook.current_ops import use_current_ops
        from dflow_nb.notebook.debug import choose_step, prepare, rerun
        from dflow_nb.python.op_runner import input_parameters
        wf = self.workflow(args.wf)
        steps = self.steps_of(wf, args.step)
        with one_line_errors("debug"):
            for line in use_current_ops(wf, self.ipython.user_ns):
                print(f"debug: {line}")
            op, call = prepare(wf, choose_step(steps, args.step))
            values = {k: v if isinstance(v, str) else repr(v)
                      for k, v in input_parameters(op, call).items()}
        shown = ", ".join(f"{k}={v if len(v) < 60 else v[:57] + '...'}"
                          for k, v in values.items())
        where = f" (slice {call.slice.position})" if call.slice is not None else ""
        print(f"re-running {call.step} of {wf.id}{where} in this kernel with its recorded inputs"
              + (f": {shown}" if shown else ""))
        outputs = rerun(op, call)
        print(f"{call.step} ran without error here; outputs in {os.path.dirname(call.workdir)}")
        return outputs

    def cmd_reuse(self, args: argparse.Namespace) -> Any:
        from dflow_nb.notebook.reuse import ReuseWidget
        wf = self.workflow(args.wf)
        with one_line_errors("reuse"):
            phase = wf.query_status()
            if phase in ("Pending", "Running"):
                raise ValueError(f"run {wf.id} is still {phase}; reuse works on ended runs")
            return ReuseWidget(wf)

    def cmd_yaml(self, args: argparse.Namespace) -> None:
        from dflow_nb.notebook.debug import argo_backend, stored_model
        wf = self.workflow(args.wf, submitted=False)
        backend = argo_backend(wf) if wf.id else None
        if backend is not None:  # what the Argo server holds, not a recompile
            import yaml
            with one_line_errors("yaml"):
                manifest = backend.get(wf.id, fields="apiVersion,kind,metadata,spec")
            print(yaml.safe_dump(manifest, sort_keys=False))
            return
        with one_line_errors("yaml"):
            text = (stored_model(wf) if wf.id else wf).to_yaml()
        print(text)

    def cmd_report(self, args: argparse.Namespace) -> None:
        wf = self.workflow(args.wf)
        with one_line_errors("report"):
            phase = wf.query_status()
            if phase in ("Pending", "Running"):
                raise ValueError(f"run {wf.id} is still {phase}; report a finished run")
            path = wf.to_notebook(args.path or f"{wf.id}-report.ipynb")
        print(f"report of {wf.id} ({phase}) written to {path}")

    def cmd_graph(self, args: argparse.Namespace) -> Any:
        from dflow_nb.notebook.cell_steps import registry
        with one_line_errors("graph"):
            registry().drop(args.drop)
            return registry().graph()

    def cmd_run(self, args: argparse.Namespace) -> None:
        from dflow_nb.notebook.cell_steps import registry
        with one_line_errors("run"):
            wf = registry().workflow(args.name or "cell-steps")
        reuse = None
        if args.reuse:
            old_ref, _, names = args.reuse.partition(":")
            old = self.workflow(old_ref)
            with one_line_errors():
                reuse = registry().reused(old, names)
        self._submit(wf, args, reuse)
        self._remember(wf)
        self._watch(wf, args.wait)

    def _act(self, args: argparse.Namespace) -> Any:
        from dflow_nb.notebook.current_ops import use_current_ops
        wf = self.workflow(args.wf)
        action = args.command
        with one_line_errors(action):
            if action in ("retry", "resubmit", "resume"):   # the OPs as the cells define them now
                for line in use_current_ops(wf, self.ipython.user_ns, action):
                    print(f"{action}: {line}")
            getattr(wf, action)()   # resubmit gives wf the new run's id
        print(f"{action}: {wf.id}")
        if action in ("retry", "resubmit", "resume"):
            self._remember(wf)
            self._watch(wf, wait=False)
        return None

    cmd_retry = cmd_resubmit = cmd_stop = cmd_terminate = cmd_suspend = cmd_resume = _act


def load_ipython_extension(ipython: InteractiveShell) -> None:
    """Register ``%dflow``/``%%dflow`` (``%load_ext dflow_nb``)."""
    ipython.register_magics(DflowMagics(ipython))
