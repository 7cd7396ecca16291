"""Template inputs and outputs (Argo's ``inputs``/``outputs``), Dflow's names and arguments.

Each object is a declaration on a template. Bound to a step (``step.outputs.parameters["x"]``)
it is also a reference to that step's value, usable as another step's argument or in ``when``.
"""
from __future__ import annotations

import copy
from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
    Generic,
    Iterator,
    List,
    MutableMapping,
    Optional,
    Tuple,
    Type,
    TypeVar,
)

from dflow_nb.errors import DflowNbError
from dflow_nb.model.names import check_io_name
from dflow_nb.model.references import ArgoVar, path_expr
from dflow_nb.model.serialization import declare_type

if TYPE_CHECKING:
    from dflow_nb.model.step import Step


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        """Unpickled (a stored model, a resumed run) it is the same ``UNSET``, so ``is UNSET``
        still holds."""
        return "UNSET"


UNSET: Any = _Unset()


class IOBase(ArgoVar):
    """An input or output of a template (or, bound, of a step): its name and its reference.

    The reference path is derived from the name and the step, never stored.
    """

    direction = ""   # "inputs" | "outputs"
    kind = ""        # "parameters" | "artifacts"

    def __init__(self, name: Optional[str] = None, step: Optional["Step"] = None,
                 type: Any = None) -> None:
        super().__init__("")
        self.name = name
        self.step = step
        self.type = type
        declare_type(type)   # its objects may be rebuilt from parameter text, as data
        self.global_name: Optional[str] = None

    def _parts(self) -> Tuple[str, ...]:
        if self.name is None:
            raise TypeError(f"{type(self).__name__} has no name yet: add it to Inputs/Outputs first")
        if self.step is not None:
            return (self.step.scope_kind, self.step.name, self.direction, self.kind, self.name)
        if self.direction == "outputs":
            raise TypeError(f"output {self.name!r} of a template is only referable through a step "
                            "(step.outputs...) or its global_name")
        return (self.direction, self.kind, self.name)

    @property
    def tag(self) -> Optional[str]:
        return ".".join(self._parts())

    @property
    def expr(self) -> str:
        return path_expr(self._parts())

    def bind(self: IOT, step: "Step") -> IOT:
        """A copy that refers to ``step``'s value of this input/output."""
        bound = copy.copy(self)
        bound.step = step
        return bound

    def __repr__(self) -> str:
        try:
            return str(self)
        except TypeError:
            return f"{type(self).__name__}(name={self.name!r})"


IOT = TypeVar("IOT", bound=IOBase)


class InputParameter(IOBase):
    """A template input parameter; ``value`` is its default."""

    direction, kind = "inputs", "parameters"

    def __init__(self, name: Optional[str] = None, step: Optional["Step"] = None,
                 template: Any = None, type: Any = None, save_as_artifact: bool = False,
                 path: Optional[str] = None, source: Any = None, description: Optional[str] = None,
                 enum: Optional[list] = None, value: Any = UNSET, **kwargs: Any) -> None:
        super().__init__(name, step, type)
        self.template = template
        self.save_as_artifact = save_as_artifact
        self.path = path
        self.source = source
        self.description = description
        self.enum = enum
        self.value = kwargs.pop("default", value)
        if kwargs:
            raise TypeError(f"InputParameter got unexpected arguments: {', '.join(kwargs)}")

    @property
    def has_value(self) -> bool:
        return self.value is not UNSET


class InputArtifact(IOBase):
    """A template input artifact placed at ``path`` (Dflow's Python OPs choose the path)."""

    direction, kind = "inputs", "artifacts"

    def __init__(self, path: Optional[str] = None, name: Optional[str] = None,
                 step: Optional["Step"] = None, template: Any = None, optional: bool = False,
                 type: Any = None, source: Any = None, mode: Optional[int] = None,
                 sub_path: Optional[str] = None, archive: str = "default",
                 save_as_parameter: bool = False, **kwargs: Any) -> None:
        super().__init__(name, step, type)
        self.path = path
        self.template = template
        self.optional = optional
        self.source = source
        self.mode = mode
        self.sub_path = sub_path
        self.archive = archive
        self.save_as_parameter = save_as_parameter
        if kwargs:
            raise TypeError(f"InputArtifact got unexpected arguments: {', '.join(kwargs)}")


class OutputParameter(IOBase):
    """A template output parameter: from a file, another parameter or an expression."""

    direction, kind = "outputs", "parameters"

    def __init__(self, value_from_path: Optional[str] = None, value_from_parameter: Any = None,
                 name: Optional[str] = None, step: Optional["Step"] = None, template: Any = None,
                 type: Any = None, global_name: Optional[str] = None,
                 value_from_expression: Any = None, save_as_artifact: bool = False,
                 default: Any = UNSET, value: Any = UNSET, description: Optional[str] = None,
                 **kwargs: Any) -> None:
        if type is None and isinstance(value_from_parameter, IOBase):
            type = value_from_parameter.type
        super().__init__(name, step, type)
        self.value_from_path = value_from_path
        self.value_from_parameter = value_from_parameter
        self.template = template
        self.global_name = global_name
        self.value_from_expression = value_from_expression
        self.save_as_artifact = save_as_artifact
        self.default = default
        self.value = value
        self.description = description
        if kwargs:
            raise TypeError(f"OutputParameter got unexpected arguments: {', '.join(kwargs)}")

    @property
    def has_default(self) -> bool:
        return self.default is not UNSET


class OutputArtifact(IOBase):
    """A template output artifact: a file/dir at ``path``, or re-exported ``_from`` a step."""

    direction, kind = "outputs", "artifacts"

    def __init__(self, path: Optional[str] = None, _from: Any = None, name: Optional[str] = None,
                 step: Optional["Step"] = None, template: Any = None, type: Any = None,
                 save: Any = None, archive: str = "default", global_name: Optional[str] = None,
                 from_expression: Any = None, optional: bool = False, **kwargs: Any) -> None:
        super().__init__(name, step, type)
        self.path = path
        self._from = kwargs.pop("from_", _from)
        self.template = template
        self.save = save
        self.archive = archive
        self.global_name = global_name
        self.from_expression = from_expression
        self.optional = optional
        if kwargs:
            raise TypeError(f"OutputArtifact got unexpected arguments: {', '.join(kwargs)}")

    def pvc(self, size: str = "1Gi", storage_class: Optional[str] = None,
            access_modes: Optional[List[str]] = None) -> "OutputArtifact":
        """Dflow's ``pvc()``: hand this artifact over through a Kubernetes
        PersistentVolumeClaim, so that a consumer running at the same time sees it appear."""
        raise DflowNbError(f"{self.name or 'artifact'}.pvc() shares files through a Kubernetes "
                           "PersistentVolumeClaim between steps that run at the same time; "
                           "dflow_nb passes artifacts when their step ends (use the artifact "
                           "itself, and order the steps)")


class AutonamedDict(MutableMapping[str, IOT]):
    """``inputs.parameters["x"] = InputParameter()`` names the object ``x``."""

    def __init__(self, kind: Type[IOT], what: str, items: Optional[Dict[str, Any]] = None) -> None:
        self._kind = kind
        self._what = what
        self._data: Dict[str, IOT] = {}
        for k, v in (items or {}).items():
            self[k] = v

    def __setitem__(self, key: str, value: IOT) -> None:
        check_io_name(key, f"{self._what} {key!r}")
        if not isinstance(value, self._kind):
            raise TypeError(f"{self._what} {key!r} must be a {self._kind.__name__}, "
                            f"given {type(value).__name__}")
        value.name = key
        self._data[key] = value

    def __getitem__(self, key: str) -> IOT:
        try:
            return self._data[key]
        except KeyError:
            known = ", ".join(self._data) or "none"
            raise KeyError(f"no {self._what} named {key!r} (known: {known})") from None

    def __delitem__(self, key: str) -> None:
        del self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"{{{', '.join(self._data)}}}"


P = TypeVar("P", bound=IOBase)
A = TypeVar("A", bound=IOBase)


class _Declarations(Generic[P, A]):
    """Parameters and artifacts by name; assigning a plain dict names its entries too."""

    kinds: Tuple[Type[P], Type[A], str]

    def __init__(self, parameters: Optional[Dict[str, Any]] = None,
                 artifacts: Optional[Dict[str, Any]] = None) -> None:
        self.parameters = parameters
        self.artifacts = artifacts

    @property
    def parameters(self) -> AutonamedDict[P]:
        return self._parameters

    @parameters.setter
    def parameters(self, value: Optional[Dict[str, Any]]) -> None:
        param, _, side = self.kinds
        self._parameters = AutonamedDict(param, f"{side} parameter", dict(value or {}))

    @property
    def artifacts(self) -> AutonamedDict[A]:
        return self._artifacts

    @artifacts.setter
    def artifacts(self, value: Optional[Dict[str, Any]]) -> None:
        _, art, side = self.kinds
        self._artifacts = AutonamedDict(art, f"{side} artifact", dict(value or {}))


class Inputs(_Declarations[InputParameter, InputArtifact]):
    """A template's input parameters and artifacts."""

    kinds = (InputParameter, InputArtifact, "input")


class Outputs(_Declarations[OutputParameter, OutputArtifact]):
    """A template's output parameters and artifacts."""

    kinds = (OutputParameter, OutputArtifact, "output")
