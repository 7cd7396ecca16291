"""Steps of a Steps template and tasks of a DAG (Argo ``WorkflowStep``/``DAGTask``)."""
from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Generic,
    List,
    Optional,
    TypeVar,
    Union,
)

from dflow_nb.errors import ValidationError
from dflow_nb.model import context
from dflow_nb.model.composite import CompositeTemplate
from dflow_nb.model.depends import is_bare_dependency, parse_depends
from dflow_nb.model.io import (
    InputArtifact,
    InputParameter,
    IOBase,
    OutputArtifact,
    OutputParameter,
)
from dflow_nb.model.names import check_node_name, randstr
from dflow_nb.model.references import ArgoSequence, ArgoVar
from dflow_nb.model.serialization import dumps
from dflow_nb.model.templates import OPTemplate, Resource
from dflow_nb.model.typing_checks import describe_type, list_of, literal_matches

if TYPE_CHECKING:
    from dflow_nb.model.executor import Executor

_TAG = re.compile(r"{{")

Template = Union[OPTemplate, CompositeTemplate]  # a leaf, or a Steps or DAG template


P = TypeVar("P", bound=IOBase)
A = TypeVar("A", bound=IOBase)


class BoundIO(Generic[P, A]):
    """``step.inputs`` / ``step.outputs``: the template's declarations bound to the step."""

    def __init__(self, parameters: Dict[str, P], artifacts: Dict[str, A]) -> None:
        self.parameters = parameters
        self.artifacts = artifacts


def encode_parameter(value: Any) -> Any:
    """A literal argument as Argo text; references stay objects until compile/run time."""
    if isinstance(value, ArgoVar):
        return value
    if isinstance(value, str):
        return value
    if _contains_ref(value):
        return _json_with_tags(value)
    return dumps(value)


def _contains_ref(value: Any) -> bool:
    if isinstance(value, ArgoVar):
        return True
    if isinstance(value, dict):
        return any(_contains_ref(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_contains_ref(v) for v in value)
    return False


def _json_with_tags(value: Any) -> str:
    """JSON text with each reference as a tag; string-typed references keep their quotes."""
    if isinstance(value, ArgoVar):
        text = str(value)
        return json.dumps(text) if getattr(value, "type", None) in (None, str) else text
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {_json_with_tags(v)}"
                               for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_json_with_tags(v) for v in value) + "]"
    return json.dumps(value)


class Step:
    """One step: a template called with arguments, maybe looped, conditional or keyed."""

    scope_kind = "steps"

    def __init__(self, name: str, template: Template, parameters: Optional[Dict[str, Any]] = None,
                 artifacts: Optional[Dict[str, Any]] = None, when: Any = None,
                 with_param: Any = None, continue_on_failed: bool = False,
                 continue_on_error: bool = False, continue_on_num_success: Optional[int] = None,
                 continue_on_success_ratio: Optional[float] = None,
                 with_sequence: Optional[ArgoSequence] = None, key: Optional[str] = None,
                 executor: Optional["Executor"] = None, use_resource: Any = None,
                 util_image: Optional[str] = None,
                 util_image_pull_policy: Optional[str] = None,
                 util_command: Optional[List[str]] = None, parallelism: Optional[int] = None,
                 slices: Any = None, with_items: Optional[List[Any]] = None,
                 hooks: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
        if kwargs:
            raise TypeError(f"{type(self).__name__} {name!r} got unexpected arguments: "
                            f"{', '.join(kwargs)}")
        what = f"{self.scope_kind[:-1]} {name!r}"
        self.name = check_node_name(name, what)
        if not isinstance(template, (OPTemplate, CompositeTemplate)):
            raise ValidationError(what, "template is not a template",
                                  expected="an OP template, Steps or DAG", given=template)
        if isinstance(use_resource, Resource) and isinstance(template, OPTemplate):
            template = use_resource.template(template)
        self.template = template
        self.when = when
        loops = [x for x in (with_param, with_sequence, with_items) if x is not None]
        if len(loops) > 1:
            raise ValidationError(what, "a step loops over one of with_param, with_sequence "
                                  "and with_items, not several", given=loops)
        self.with_param = with_param if not _plain_iterable(with_param) else list(with_param)
        self.with_sequence = with_sequence
        self.with_items = with_items
        self.continue_on_failed = continue_on_failed
        self.continue_on_error = continue_on_error
        self.continue_on_num_success = continue_on_num_success
        self.continue_on_success_ratio = continue_on_success_ratio
        if continue_on_success_ratio is not None and not 0 <= continue_on_success_ratio <= 1:
            raise ValidationError(what, "continue_on_success_ratio is a fraction",
                                  expected="a number between 0 and 1",
                                  given=continue_on_success_ratio)
        self.key = key
        self.executor = executor
        self.use_resource = use_resource
        self.util_image = util_image
        self.util_image_pull_policy = util_image_pull_policy
        self.util_command = util_command
        self.parallelism = parallelism
        self.slices = slices if slices is not None else getattr(template, "slices", None)
        self.hooks = hooks or {}
        self.parameters: Dict[str, Any] = {}
        self.artifacts: Dict[str, Any] = {}
        self.inputs: BoundIO[InputParameter, InputArtifact] = BoundIO(
            {k: v.bind(self) for k, v in template.inputs.parameters.items()},
            {k: v.bind(self) for k, v in template.inputs.artifacts.items()})
        self.outputs: BoundIO[OutputParameter, OutputArtifact] = BoundIO(
            {k: v.bind(self) for k, v in template.outputs.parameters.items()},
            {k: v.bind(self) for k, v in template.outputs.artifacts.items()})
        self.set_parameters(parameters or {})
        self.set_artifacts(artifacts or {})
        self.check_required()
        container = context.current()
        if container is not None:
            container.add(self)

    @property
    def success_check_name(self) -> Optional[str]:
        """Dflow's name for the step checking ``continue_on_num_success``/``_success_ratio``
        after this one (``<step>-check-num-success``, ``<step>-check-success-ratio``)."""
        if self.continue_on_num_success is not None:
            return f"{self.name}-check-num-success"
        if self.continue_on_success_ratio is not None:
            return f"{self.name}-check-success-ratio"
        return None

    # -- arguments ---------------------------------------------------------------------------
    @property
    def what(self) -> str:
        return f"{self.scope_kind[:-1]} {self.name!r}"

    def _sliced_parameters(self) -> List[str]:
        return list(getattr(self.slices, "input_parameter", None) or [])

    def set_parameters(self, parameters: Dict[str, Any]) -> None:
        """Check each argument against the template's inputs and record it."""
        declared = self.template.inputs.parameters
        sliced = self._sliced_parameters()
        for name, value in parameters.items():
            if name not in declared:
                raise ValidationError(
                    self.what, f"template {self.template.name!r} has no input parameter {name!r}",
                    expected=f"one of {sorted(declared)}", given=name)
            decl = declared[name]
            if decl.type is not None and not isinstance(value, ArgoVar) and not (
                    isinstance(value, str) and _TAG.search(value)) and not _contains_ref(value):
                expected = decl.type
                grouped = getattr(self.slices, "group_size", None) and \
                    not getattr(self.slices, "pool_size", None)
                if name in sliced and not grouped:
                    expected = list_of(decl.type)
                if not literal_matches(value, expected):
                    raise ValidationError(f"{self.what}, parameter {name!r}", "wrong type",
                                          expected=describe_type(expected), given=value)
            self.parameters[name] = value
            bound = self.inputs.parameters[name]
            bound.value = value

    def set_artifacts(self, artifacts: Dict[str, Any]) -> None:
        """Check each artifact argument against the template's inputs and record it."""
        declared = self.template.inputs.artifacts
        for name, source in artifacts.items():
            if name not in declared:
                raise ValidationError(
                    self.what, f"template {self.template.name!r} has no input artifact {name!r}",
                    expected=f"one of {sorted(declared)}", given=name)
            if isinstance(source, (InputParameter, OutputParameter)):
                raise ValidationError(f"{self.what}, artifact {name!r}",
                                      "a parameter was passed where an artifact is expected",
                                      expected="an artifact (step.outputs.artifacts[...], "
                                      "upload_artifact(...))", given=source)
            self.artifacts[name] = source
            self.inputs.artifacts[name].source = source

    def check_required(self) -> None:
        """Inputs with no default and no argument cannot run: say so now, not at run time."""
        for name, decl in self.template.inputs.parameters.items():
            if name not in self.parameters and not decl.has_value:
                raise ValidationError(self.what, f"input parameter {name!r} of template "
                                      f"{self.template.name!r} has no value and no default",
                                      expected="parameters={%r: ...}" % name, given=None)
        for name, art in self.template.inputs.artifacts.items():
            if name not in self.artifacts and not art.optional and art.source is None:
                raise ValidationError(self.what, f"input artifact {name!r} of template "
                                      f"{self.template.name!r} is required",
                                      expected="artifacts={%r: ...}" % name, given=None)

    # -- references --------------------------------------------------------------------------
    def references(self) -> List[ArgoVar]:
        """Every run-time value this step reads (for dependency inference and validation)."""
        found: List[ArgoVar] = []

        def walk(v: Any) -> None:
            if isinstance(v, ArgoVar):
                found.append(v)
            elif isinstance(v, dict):
                for x in v.values():
                    walk(x)
            elif isinstance(v, (list, tuple)):
                for x in v:
                    walk(x)
            elif isinstance(v, ArgoSequence):
                walk([v.count, v.start, v.end])

        walk(list(self.parameters.values()))
        walk(list(self.artifacts.values()))
        walk([self.when, self.with_param, self.with_sequence])
        return found

    @property
    def expr(self) -> str:
        return f"{self.scope_kind}[{self.name!r}]"

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, template={self.template.name!r})"

    def deepcopy(self) -> "Step":
        return copy.deepcopy(self)


class HookStep(Step):
    """A lifecycle hook given as a step (Dflow's HookStep): ``Step(..., hooks={"running":
    HookStep(template, expression="steps['x'].status == 'Running'")})``. ``expression`` is the
    hook's expr-lang condition (Argo's LifecycleHook.expression); it joins no ``with`` block."""

    def __init__(self, template: Template, expression: Optional[str] = None,
                 **kwargs: Any) -> None:
        with context.detached():
            super().__init__(kwargs.pop("name", None) or f"hook-{randstr()}", template,
                             when=expression, **kwargs)
        self.expression = expression


def _plain_iterable(value: Any) -> bool:
    """A Python iterable to fan out over (``range(3)``, a generator, a set...): Dflow takes
    any; a list, text, mapping or run-time reference is kept as it is."""
    return isinstance(value, Iterable) and \
        not isinstance(value, (list, str, bytes, Mapping, ArgoVar))


class Task(Step):
    """A DAG task: a step whose order comes from what it reads (or explicit dependencies)."""

    scope_kind = "tasks"

    def __init__(self, name: str, template: Template,
                 dependencies: Optional[List[Union["Task", str]]] = None,
                 depends: Optional[str] = None, **kwargs: Any) -> None:
        self.explicit_dependencies = dependencies
        self.depends = depends
        if depends is not None and dependencies is not None:
            raise ValidationError(f"task {name!r}", "Argo takes depends or dependencies, not both",
                                  given=depends)
        if depends is not None and (kwargs.get("continue_on_failed") or
                                    kwargs.get("continue_on_error")):
            raise ValidationError(f"task {name!r}", "continue_on_* is not allowed with depends "
                                  "(use 'task.Failed' in the depends expression)", given=depends)
        super().__init__(name, template, **kwargs)

    @property
    def dependencies(self) -> List[str]:
        """Task names this task waits for: explicit ones, or those its arguments reference."""
        if self.depends is not None:
            return parse_depends(self.depends, self.name)[0]
        if self.explicit_dependencies is not None:
            return [d.name if isinstance(d, Task) else str(d)
                    for d in self.explicit_dependencies]
        names: List[str] = []
        for ref in self.references():
            step = getattr(ref, "step", None)
            name = step.name if isinstance(step, Task) else None
            if name is None and ref.tag and ref.tag.startswith("tasks."):
                name = ref.tag.split(".")[1]
            if name is None:
                for part in re.findall(r"tasks\['([^']+)'\]|tasks\.([A-Za-z0-9-]+)", ref.expr):
                    name = part[0] or part[1]
                    if name != self.name and name not in names:
                        names.append(name)
                continue
            if name != self.name and name not in names:
                names.append(name)
        return names

    @dependencies.setter
    def dependencies(self, value: List[Union["Task", str]]) -> None:
        self.explicit_dependencies = value

    def depends_text(self, peers: Optional[Dict[str, "Task"]] = None,
                     rename: Optional[Callable[[str], str]] = None) -> Optional[str]:
        """The task's condition as an Argo ``depends`` expression. Dflow's rule: a task it waits
        for (given as a Task, or inferred from what it reads) must have Succeeded
        (``(a.Succeeded) && ...``). A dependency given by name keeps the meaning of Argo's
        ``dependencies: [a]``: Succeeded, Skipped or Daemoned, or Failed/Errored when ``a``
        (found in ``peers``, the DAG's tasks) continues on that. ``rename`` maps a task to the
        node to wait for (a success-counted loop's check task)."""
        if self.depends is not None:
            return self.depends
        ren = rename or (lambda name: name)
        if self.explicit_dependencies is None:
            atoms = [f"({ren(name)}.Succeeded)" for name in self.dependencies]
        else:
            atoms = [f"({ren(d.name)}.Succeeded)" if isinstance(d, Task) else
                     _legacy(str(d).strip(), ren, peers or {}) for d in self.explicit_dependencies]
        return " && ".join(atoms) or None


def _legacy(dep: str, rename: Callable[[str], str], peers: Dict[str, "Task"]) -> str:
    """A dependency given by name, as Argo expands ``dependencies`` entries."""
    if not is_bare_dependency(dep):
        return f"({dep})"
    name, _, prop = dep.strip("() ").partition(".")
    node = rename(name)
    if prop:
        return f"({node}.{prop})"
    peer = peers.get(name)
    extra = (["Failed"] if peer is not None and peer.continue_on_failed else []) + \
        (["Errored"] if peer is not None and peer.continue_on_error else [])
    if not extra:
        return f"({node})"   # Argo: Succeeded, Skipped or Daemoned
    states = ["Succeeded", "Skipped", "Daemoned", *extra]
    return "(" + " || ".join(f"{node}.{s}" for s in states) + ")"
