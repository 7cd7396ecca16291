"""OPs: the unit of work. Classes with signs and ``execute``, or plain typed functions."""
from __future__ import annotations

import functools
import inspect
from abc import ABC
from typing import Any, Callable, Dict, Optional, Type, Union

from dflow_nb.model.typing_checks import describe_type, type_error
from dflow_nb.python.opio import OPIO, Artifact, BigParameter, OPIOSign, Parameter
from dflow_nb.python.signature import sign_from_function


class OPSignatureError(TypeError):
    """Inputs or outputs that do not match the OP's declared signature."""


class OP(ABC):
    """Base of every OP: declare ``get_input_sign``/``get_output_sign``, implement ``execute``."""

    progress_total = 1
    progress_current = 0
    key: Optional[str] = None
    workflow_name: Optional[str] = None
    slices: Dict[str, Any] = {}
    tmp_root = "/tmp"
    create_slice_dir = False
    #: Called with (current, total) when ``progress_current``/``progress_total`` change: the
    #: runner sets it to publish the step's progress.
    progress_callback: Optional[Callable[[int, int], object]] = None
    #: The notebook cell that defined the OP (``%%dflow op``); see ``op_cell``.
    __dflow_source__: Optional[str] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign()

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign()

    def execute(self, op_in: OPIO) -> OPIO:
        raise NotImplementedError(f"OP {type(self).__name__} does not implement execute()")

    @staticmethod
    def exec_sign_check(func: Callable[[Any, OPIO], OPIO]) -> Callable[[Any, OPIO], OPIO]:
        """Decorate ``execute`` so inputs and outputs are checked against the signs."""

        @functools.wraps(func)
        def wrapper(self: "OP", op_in: OPIO) -> OPIO:
            check_signature(self, op_in, self.get_input_sign(), True)
            op_out = func(self, op_in)
            check_signature(self, op_out, self.get_output_sign(), False)
            return op_out

        wrapper.__dflow_checked__ = True  # type: ignore[attr-defined]
        return wrapper

    @classmethod
    def function(cls, func: Optional[Callable] = None, **template_kwargs: Any) -> Any:
        """Make an OP from a typed function; called inside ``with Workflow()`` it adds a task."""
        if func is None:
            return functools.partial(cls.function, **template_kwargs)
        return make_function_op(cls, func, template_kwargs)

    @classmethod
    def superfunction(cls, func: Optional[Callable] = None, **dag_kwargs: Any) -> Any:
        """Make a DAG template from a function whose body calls function OPs."""
        if func is None:
            return functools.partial(cls.superfunction, **dag_kwargs)
        from dflow_nb.python.superfunction import make_superfunction
        return make_superfunction(func, dag_kwargs)

    def __setattr__(self, key: str, value: Any) -> None:
        super().__setattr__(key, value)
        if key in ("progress_total", "progress_current"):
            if self.progress_callback is not None:
                self.progress_callback(self.progress_current, self.progress_total)


AnyOP = Union[Type[OP], OP]   # what a PythonOPTemplate carries: the OP class or an instance


def _op_name(op: Any) -> str:
    return getattr(op, "__name__", None) or type(op).__name__


def check_signature(op: OP, opio: Dict[str, Any], sign: OPIOSign, is_input: bool) -> None:
    """Fill defaults and check every value against the sign; errors name OP, field and types."""
    side = "input" if is_input else "output"
    where = f"OP {_op_name(op)}"
    if not isinstance(opio, dict):
        raise OPSignatureError(f"{where}: execute() must return an OPIO (a dict of outputs), "
                               f"returned {type(opio).__name__}")
    for name, item in sign.items():
        if name in opio:
            continue
        if isinstance(item, Parameter) and item.has_default:
            opio[name] = item.default
        elif isinstance(item, Artifact) and item.optional:
            opio[name] = None
        else:
            raise OPSignatureError(f"{where}: {side} {name!r} is declared in the {side} sign "
                                   f"but missing from the {side}s")
    for name, value in opio.items():
        if name not in sign:
            raise OPSignatureError(f"{where}: {side} {name!r} is not declared in the {side} sign "
                                   f"(declared: {', '.join(sign) or 'none'})")
        item = sign[name]
        if value is None and (isinstance(item, Artifact) or is_input):
            continue
        tp = item.type if isinstance(item, (Artifact, Parameter)) else item
        if isinstance(item, Artifact):
            tp = _artifact_value_type(tp)
        reason = type_error(value, tp)
        if reason is not None:
            raise OPSignatureError(f"{where}: {side} {name!r} expected {describe_type(tp)}, "
                                   f"given {value!r} ({type(value).__name__})")


def _artifact_value_type(tp: Any) -> Any:
    """Artifacts hold Paths or strs interchangeably, and list entries may be None."""
    from pathlib import Path
    from typing import Dict as D
    from typing import List as L
    from typing import Set as S
    from typing import Union, get_args, get_origin
    if tp in (str, Path):
        return Union[str, Path]
    origin, args = get_origin(tp), get_args(tp)
    item = Union[str, Path, None]
    if origin in (list, L):
        return L[item]
    if origin in (set, S):
        return S[item]
    if origin in (dict, D):
        return D[str, item]
    return Any if not args else dict


def make_function_op(base: type, func: Callable, template_kwargs: Dict[str, Any]) -> Any:
    """An OP instance wrapping ``func``; calling it in a ``with`` block adds a step."""
    input_sign, output_sign, to_opio, from_outputs = sign_from_function(func)

    class FunctionOP(base):
        task_kwargs: Dict[str, Any] = {}

        @classmethod
        def get_input_sign(cls) -> OPIOSign:
            return OPIOSign(input_sign)

        @classmethod
        def get_output_sign(cls) -> OPIOSign:
            return OPIOSign(output_sign)

        @OP.exec_sign_check
        def execute(self, op_in: OPIO) -> OPIO:
            return OPIO(to_opio(func(**op_in)))

        def use(self, **kwargs: Any) -> "FunctionOP":
            """The same OP with step options (key, executor, when...) for its next call."""
            clone = type(self)()
            clone.task_kwargs = kwargs
            return clone

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            names = list(input_sign)
            if len(args) > len(names):
                raise TypeError(f"{func.__name__}() takes {len(names)} arguments, "
                                f"{len(args)} given")
            for name, value in zip(names, args):
                if name in kwargs:
                    raise TypeError(f"{func.__name__}() got multiple values for argument {name!r}")
                kwargs[name] = value
            from dflow_nb.model import context
            container = context.current()
            if container is None:
                return self.execute(OPIO(kwargs))
            return _add_call_step(self, container, kwargs, template_kwargs, from_outputs)

    FunctionOP.func = staticmethod(func)
    FunctionOP.__name__ = func.__name__
    FunctionOP.__qualname__ = func.__qualname__
    FunctionOP.__module__ = func.__module__
    FunctionOP.__doc__ = func.__doc__
    return FunctionOP()


def _add_call_step(op: Any, container: Any, kwargs: Dict[str, Any],
                   template_kwargs: Dict[str, Any], from_outputs: Callable) -> Any:
    from dflow_nb.model.names import kebab, randstr
    from dflow_nb.model.step import Step, Task
    from dflow_nb.model.steps import Steps
    from dflow_nb.python.python_op_template import PythonOPTemplate
    sign = op.get_input_sign()
    parameters = {k: v for k, v in kwargs.items() if not isinstance(sign[k], Artifact)}
    artifacts = {k: v for k, v in kwargs.items() if isinstance(sign[k], Artifact)}
    name = kebab(op.func.__name__).lower() + "-" + randstr()
    cls = Step if isinstance(getattr(container, "entry_container", container), Steps) else Task
    step = cls(name, template=PythonOPTemplate(op, **template_kwargs), parameters=parameters,
               artifacts=artifacts, **op.task_kwargs)
    return from_outputs({**step.outputs.parameters, **step.outputs.artifacts})


def op_cell(op: AnyOP) -> Optional[str]:
    """The ``%%dflow op`` cell that defined an OP class or function (imports included), if any:
    Python cannot find the source of a class defined in a notebook, the cell has it."""
    target = getattr(op, "func", None) or (op if inspect.isclass(op) else type(op))
    return getattr(target, "__dflow_source__", None) or getattr(op, "__dflow_source__", None)


__all__ = ["OP", "OPIO", "OPIOSign", "Artifact", "Parameter", "BigParameter", "check_signature"]
