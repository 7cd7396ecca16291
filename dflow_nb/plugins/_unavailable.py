"""Dflow plug-ins for services that cannot be reached from here (Bohrium, a Ray cluster on
Kubernetes, Bohrium's metadata service...): their names import, so a Dflow script loads, and
using one raises a ``ServiceUnavailable`` that says what it needs."""
from __future__ import annotations

from typing import Any, Callable, Dict, Tuple, Type

from dflow_nb.errors import DflowNbError


class ServiceUnavailable(DflowNbError, NotImplementedError):
    """A Dflow plug-in whose service dflow_nb does not drive."""


def _message(name: str, needs: str) -> str:
    return (f"{name} needs {needs}, which dflow_nb does not drive; the rest of the workflow "
            "runs on the local engine or Argo without it")


def unavailable_class(name: str, needs: str, bases: Tuple[type, ...] = (object,)) -> Type[Any]:
    """A class named ``name`` that raises ServiceUnavailable when it is instantiated."""
    def __new__(cls: type, *args: Any, **kwargs: Any) -> Any:
        raise ServiceUnavailable(_message(name, needs))

    namespace: Dict[str, Any] = {"__new__": __new__, "__doc__": f"Dflow's {name}: needs {needs}."}
    return type(name, bases, namespace)


def unavailable_function(name: str, needs: str) -> Callable[..., Any]:
    """A function named ``name`` that raises ServiceUnavailable when it is called."""
    def call(*args: Any, **kwargs: Any) -> Any:
        raise ServiceUnavailable(_message(name, needs))

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"Dflow's {name}: needs {needs}."
    return call
