"""DAGs over Argo v4's 200-task cap, split into nested groups of at most 200 tasks.

Argo v4's CRD caps ``dag.tasks`` at 200 items (``templates`` at 200, ``inputs.parameters`` at
500; Steps groups are not capped). A larger DAG template keeps its name, inputs, outputs and
memoize, and becomes a DAG of *group* tasks ``group-0``, ``group-1``...; each group task calls
a new DAG template ``<dag>-g<i>`` holding up to 200 of the original tasks, unchanged. Tasks are
taken in dependency order, so a group only waits for earlier groups. With more than 200 groups
the outer DAG is split again (nesting, not a wider DAG).

- Dependencies: a task keeps its dependencies on tasks of its own group; a dependency on a task
  of another group becomes its group's ``depends`` on that group. Only plain dependencies may
  cross groups (``X``, ``X.Succeeded``, conjunctions of them, legacy ``dependencies``); a
  ``depends`` expression with ``||``/``!``/other states across groups is refused.
- References: ``tasks.X.outputs.parameters.P``, ``.outputs.result``, ``.status``, ... and
  ``tasks.X.outputs.artifacts.A`` read across groups (in ``{{...}}`` and ``{{= ...}}``) become an
  output ``dflow_ref_<n>`` of X's group, passed by the outer DAG as an input of the reading
  group, where the text now reads ``inputs.parameters.dflow_ref_<n>`` (or ``inputs.artifacts``).
  The DAG's own inputs a group reads are passed through under their names; the DAG's outputs
  read the groups' exports.
- ``failFast`` and ``parallelism`` are copied to every group (the cap on running pods then holds
  per group); ``dag.target``, and tasks with continue_on_* (``argo/_depends.py``), are refused
  on a DAG that must be split.
- A ``depends`` atom cut this way is still checked: the earlier group exports the task's
  ``status`` (as a ``dflow_ref_<n>``) and the waiting task gets ``when: "<status> ==
  Succeeded"`` (``Succeeded || Skipped`` for a bare name), so a task Skipped or Omitted in an
  earlier group does not start what waits for it; on Argo that task is then Skipped where the
  unsplit DAG (and the local engine) says Omitted. Not needed (and not emitted) for a task that
  Succeeded whenever its group did: no ``when``, no loop, waiting only for such tasks.
- Known difference: with ``failFast: false``, a group after a Failed group does not start,
  although its tasks that do not depend on the failure would.
- On Argo, a task's node is ``<dag node>.group-<i>.<task>``; the compiler lists the group
  templates in the annotation ``HIDDEN_ANNOTATION`` and ``argo/status.py`` hides their nodes, so
  records keep the names ``<dag node>.<task>``, display names and keys of the unsplit DAG (the
  local engine runs the unsplit model).
"""
from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Optional, Set, Tuple

from dflow_nb.argo._depends import DAG_OK_TASK
from dflow_nb.argo.schema import MAX_INPUT_PARAMETERS, MAX_TASKS
from dflow_nb.errors import ValidationError
from dflow_nb.model.depends import parse_depends

_NAME = r"[A-Za-z0-9][-A-Za-z0-9]*"
_PATH = (r"(?P<path>outputs\.(?P<kind>parameters|artifacts)\.[-A-Za-z0-9_]+|outputs\.result"
         r"|status|exitCode|id|startedAt|finishedAt)")
_TASK_REF = re.compile(r"\btasks(?:\.(?P<a>" + _NAME + r")|\['(?P<b>" + _NAME + r")'\])\."
                       + _PATH)
_ANY_TASK = re.compile(r"\btasks(?:\.(?P<a>" + _NAME + r")|\['(?P<b>" + _NAME + r")'\])")
_INPUT_REF = re.compile(r"\binputs\.(parameters|artifacts)(?:\.([-A-Za-z0-9_]+)|\['([^']+)'\])")
_PLAIN_ATOM = re.compile(r"^\(?\s*(" + _NAME + r")(?:\.Succeeded)?\s*\)?$")


def split_dags(templates: Dict[str, Dict[str, Any]], cap: int = MAX_TASKS
               ) -> Tuple[Dict[str, Dict[str, Any]], List[str]]:
    """``templates`` with every DAG over ``cap`` tasks split, and the group template names."""
    out: Dict[str, Dict[str, Any]] = {}
    groups: List[str] = []
    taken = set(templates)
    for name, body in templates.items():
        pending = [(name, body)]
        while pending:
            tname, tbody = pending.pop(0)
            if len((tbody.get("dag") or {}).get("tasks") or []) <= cap:
                out[tname] = tbody
                continue
            parent, made = _split(tname, tbody, cap, taken)
            groups.extend(g["name"] for g in made)
            pending = [(tname, parent)] + [(g["name"], g) for g in made] + pending
    return out, groups


def _deps(task: Dict[str, Any]) -> List[str]:
    if task.get("depends"):
        return parse_depends(task["depends"], task.get("name", "?"))[0]
    return [d.strip() for d in task.get("dependencies") or []]


def _order(tasks: List[Dict[str, Any]], where: str) -> List[Dict[str, Any]]:
    """Tasks in dependency order (the given order among tasks that are ready together)."""
    by_name = {t["name"]: t for t in tasks}
    deps = {t["name"]: [d for d in _deps(t) if d in by_name] for t in tasks}
    waiting = {n: len(set(d)) for n, d in deps.items()}
    users: Dict[str, List[str]] = {}
    for n, ds in deps.items():
        for d in set(ds):
            users.setdefault(d, []).append(n)
    rank = {t["name"]: i for i, t in enumerate(tasks)}
    ready = sorted((n for n, c in waiting.items() if c == 0), key=rank.__getitem__)
    order: List[Dict[str, Any]] = []
    while ready:
        n = ready.pop(0)
        order.append(by_name[n])
        for u in users.get(n, []):
            waiting[u] -= 1
            if waiting[u] == 0:
                ready.append(u)
        ready.sort(key=rank.__getitem__)
    if len(order) != len(tasks):
        raise ValidationError(where, "tasks depend on each other in a cycle",
                              expected="an acyclic graph")
    return order


def _fresh(base: str, taken: Set[str]) -> str:
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}{n}"
    taken.add(name)
    return name


class _Exports:
    """What each group reads from other groups, as numbered ``dflow_ref_<n>`` values."""

    def __init__(self) -> None:
        self.names: Dict[Tuple[str, str], str] = {}
        self.kinds: Dict[str, str] = {}

    def name(self, task: str, path: str, kind: str) -> str:
        key = (task, path)
        if key not in self.names:
            self.names[key] = f"dflow_ref_{len(self.names)}"
            self.kinds[self.names[key]] = kind
        return self.names[key]


def _split(name: str, body: Dict[str, Any], cap: int, taken: Set[str]
           ) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
    where = f"DAG {name!r} ({len(body['dag']['tasks'])} tasks, split for Argo's cap of {cap})"
    if any(t.get("name") == DAG_OK_TASK for t in body["dag"]["tasks"]):
        raise ValidationError(where, "continue_on_failed/continue_on_error tasks cannot be kept "
                              "across the groups a split makes (their dependents would start)",
                              expected=f"at most {cap} tasks in a DAG with continue_on_*")
    if body["dag"].get("target"):
        raise ValidationError(where, "a DAG with a target cannot be split into groups",
                              expected=f"at most {cap} tasks, or no target",
                              given=body["dag"]["target"])
    order = _order(body["dag"]["tasks"], where)
    count = -(-len(order) // cap)
    size = -(-len(order) // count)
    chunks = [order[i:i + size] for i in range(0, len(order), size)]
    group_of = {t["name"]: i for i, chunk in enumerate(chunks) for t in chunk}
    certain = _certain(order)
    exports = _Exports()
    made: List[Dict[str, Any]] = []
    calls: List[Dict[str, Any]] = []
    outs: List[Dict[str, Tuple[str, str]]] = [{} for _ in chunks]  # ref -> (task, path)
    for i, chunk in enumerate(chunks):
        text = json.dumps(chunk)
        waits: List[int] = []
        refs: Dict[str, Tuple[str, int]] = {}  # ref -> (kind, exporting group)

        def local(m: "re.Match[str]") -> str:
            task = m.group("a") or m.group("b")
            j = group_of.get(task)
            if j is None or j == i:
                return m.group(0)
            if j > i:
                raise ValidationError(where, f"a task reads task {task!r} without waiting for it",
                                      expected=f"task {task!r} among its dependencies",
                                      given=m.group(0))
            kind = m.group("kind") or "parameters"
            ref = exports.name(task, m.group("path"), kind)
            outs[j][ref] = (task, m.group("path"))
            refs[ref] = (kind, j)
            if j not in waits:
                waits.append(j)
            return f"inputs.{kind}.{ref}"

        tasks = json.loads(_TASK_REF.sub(local, text))
        for task in tasks:
            for dep, strict in _cut_dependencies(task, group_of, i, waits, where):
                if dep in certain:
                    continue
                j = group_of[dep]
                ref = exports.name(dep, "status", "parameters")
                outs[j][ref] = (dep, "status")
                refs[ref] = ("parameters", j)
                _guard(task, ref, strict)
        for m in _ANY_TASK.finditer(json.dumps(tasks)):
            other = group_of.get(m.group("a") or m.group("b"))
            if other is not None and other != i:
                raise ValidationError(where, f"a reference to {m.group(0)!r} cannot cross the "
                                      "split into groups",
                                      expected="tasks.<name>.outputs.parameters/artifacts/result "
                                      "or .status")
        gname = _fresh(f"{name[:118]}-g{i}", taken)
        group: Dict[str, Any] = {"name": gname}
        ins, args = _group_inputs(tasks, refs, body)
        if len(ins.get("parameters") or []) > MAX_INPUT_PARAMETERS:
            raise ValidationError(where, f"group {i} would read {len(ins['parameters'])} values "
                                  "from other groups and the DAG's inputs",
                                  expected=f"at most {MAX_INPUT_PARAMETERS} (Argo's cap on a "
                                  "template's input parameters): fewer reads across far tasks")
        if ins:
            group["inputs"] = ins
        group["dag"] = {"tasks": tasks}
        if body["dag"].get("failFast") is False:
            group["dag"]["failFast"] = False
        if "parallelism" in body:
            group["parallelism"] = body["parallelism"]
        made.append(group)
        call: Dict[str, Any] = {"name": f"group-{i}", "template": gname}
        if args:
            call["arguments"] = args
        if waits:
            call["depends"] = " && ".join(f"group-{j}" for j in sorted(waits))
        calls.append(call)
    parent = {k: v for k, v in body.items() if k != "dag"}
    parent["dag"] = {k: v for k, v in body["dag"].items() if k != "tasks"}
    parent["dag"]["tasks"] = calls
    if "outputs" in body:
        parent["outputs"] = _outer_outputs(body["outputs"], group_of, exports, outs)
    for i, group in enumerate(made):
        _add_exports(group, outs[i], exports)
    return parent, made


def _certain(order: List[Dict[str, Any]]) -> Set[str]:
    """Tasks that Succeeded whenever their group did: no ``when``, no loop (an empty one is
    Skipped), and only such tasks waited for by plain atoms (``order``: dependency order)."""
    out: Set[str] = set()
    for t in order:
        if any(k in t for k in ("when", "withParam", "withItems", "withSequence")):
            continue
        atoms = [a.strip() for a in t["depends"].split("&&")] if t.get("depends") else []
        plain = [_PLAIN_ATOM.match(a) for a in atoms]
        if all(m is not None and m.group(1) in out for m in plain):
            out.add(t["name"])
    return out


def _guard(task: Dict[str, Any], ref: str, strict: bool) -> None:
    """``task`` runs only if the task of another group whose status is input ``ref`` ended as
    its ``depends`` wanted: Succeeded (``strict``), else Succeeded or Skipped."""
    tag = "{{inputs.parameters.%s}}" % ref
    ok = f"{tag} == Succeeded" if strict else f"({tag} == Succeeded || {tag} == Skipped)"
    task["when"] = f"({task['when']}) && {ok}" if task.get("when") else ok


def _cut_dependencies(task: Dict[str, Any], group_of: Dict[str, int], i: int,
                      waits: List[int], where: str) -> List[Tuple[str, bool]]:
    """Drop ``task``'s dependencies on other groups (its group waits for them instead); the
    ``depends`` atoms cut, as (task, whether it must have Succeeded), to guard with ``when``
    (a legacy ``dependencies`` entry needs none: its group's success already says it)."""
    def other(dep: str) -> Optional[int]:
        j = group_of.get(dep)
        return j if j is not None and j != i else None

    if task.get("dependencies"):
        keep = []
        for d in task["dependencies"]:
            j = other(d.strip())
            if j is None:
                keep.append(d)
            elif j not in waits:
                waits.append(j)
        if keep:
            task["dependencies"] = keep
        else:
            del task["dependencies"]
    if not task.get("depends"):
        return []
    names = parse_depends(task["depends"], task["name"])[0]
    if all(other(n) is None for n in names):
        return []
    atoms = [a.strip() for a in task["depends"].split("&&")]
    keep = []
    cut = []
    for atom in atoms:
        m = _PLAIN_ATOM.match(atom)
        if m is None:
            raise ValidationError(where, f"task {task['name']!r}: its depends expression refers "
                                  "to a task in another group of the split",
                                  expected="plain dependencies (a && b.Succeeded) across groups",
                                  given=task["depends"])
        j = other(m.group(1))
        if j is None:
            keep.append(atom)
            continue
        cut.append((m.group(1), ".Succeeded" in atom))
        if j not in waits:
            waits.append(j)
    if keep:
        task["depends"] = " && ".join(keep)
    else:
        del task["depends"]
    return cut


def _group_inputs(tasks: List[Dict[str, Any]], refs: Dict[str, Tuple[str, int]],
                  body: Dict[str, Any]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """The group's inputs (the DAG inputs its tasks read, and the refs) and the call's args."""
    declared = body.get("inputs") or {}
    used: Dict[str, List[str]] = {"parameters": [], "artifacts": []}
    for m in _INPUT_REF.finditer(json.dumps(tasks)):
        name = m.group(2) or m.group(3)
        if name not in used[m.group(1)] and name not in refs:
            used[m.group(1)].append(name)
    ins: Dict[str, Any] = {}
    args: Dict[str, Any] = {}
    for kind in ("parameters", "artifacts"):
        mine = [p for p in declared.get(kind) or [] if p["name"] in used[kind]]
        decl = [{"name": p["name"], **({"optional": True} if p.get("optional") else {})}
                for p in mine]
        passed = [{"name": p["name"], **_pass(kind, "{{inputs.%s.%s}}" % (kind, p["name"]))}
                  for p in mine]
        for ref, (rkind, j) in refs.items():
            if rkind == kind:
                decl.append({"name": ref})
                passed.append({"name": ref, **_pass(
                    kind, "{{tasks.group-%d.outputs.%s.%s}}" % (j, kind, ref))})
        if decl:
            ins[kind] = decl
            args[kind] = passed
    return ins, args


def _pass(kind: str, value: str) -> Dict[str, str]:
    return {"value": value} if kind == "parameters" else {"from": value}


def _add_exports(group: Dict[str, Any], outs: Dict[str, Tuple[str, str]],
                 exports: _Exports) -> None:
    if not outs:
        return
    section: Dict[str, List[Dict[str, Any]]] = {}
    for ref, (task, path) in outs.items():
        kind = exports.kinds[ref]
        tag = "{{tasks.%s.%s}}" % (task, path)
        entry = {"name": ref, "valueFrom": {"parameter": tag}} if kind == "parameters" \
            else {"name": ref, "from": tag}
        section.setdefault(kind, []).append(entry)
    group["outputs"] = section


def _outer_outputs(outputs: Dict[str, Any], group_of: Dict[str, int], exports: _Exports,
                   outs: List[Dict[str, Tuple[str, str]]]) -> Dict[str, Any]:
    def outer(m: "re.Match[str]") -> str:
        task = m.group("a") or m.group("b")
        j = group_of[task]
        kind = m.group("kind") or "parameters"
        ref = exports.name(task, m.group("path"), kind)
        outs[j][ref] = (task, m.group("path"))
        return f"tasks.group-{j}.outputs.{kind}.{ref}"

    return json.loads(_TASK_REF.sub(outer, json.dumps(outputs)))

