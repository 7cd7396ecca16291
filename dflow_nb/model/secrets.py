"""Kubernetes Secrets a workflow refers to (Dflow's ``Secret`` and ``DockerSecret``).

A ``Secret`` in a template's ``envs`` becomes ``valueFrom.secretKeyRef`` in the Argo manifest;
the value never appears in a manifest, a repr or a log. The local engine hands the value to the
step's process environment. On Argo the Kubernetes Secret must exist in the namespace (Dflow
creates it through the Kubernetes API at construction; dflow_nb talks to Argo Server only):
``kubectl create secret generic NAME --from-literal=KEY=VALUE``.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from dflow_nb.errors import DflowNbError
from dflow_nb.model.names import randstr


class Secret:
    """A value kept in a Kubernetes Secret: ``envs={"TOKEN": Secret("s3cr3t")}``, or
    ``Secret(name="existing", key="token")`` for one that exists already."""

    def __init__(self, value: Optional[str] = None, name: Optional[str] = None,
                 key: str = "secret") -> None:
        if value is None and name is None:
            raise ValueError("Secret needs a value, or the name of an existing Kubernetes "
                             "secret")
        self.name = name or f"dflow-secret-{randstr()}"
        self.key = key
        self._value = value

    def to_env(self) -> Dict[str, Any]:
        """The env entry of an Argo manifest: a reference, never the value."""
        return {"valueFrom": {"secretKeyRef": {"name": self.name, "key": self.key}}}

    def reveal(self) -> str:
        """The value, for a step the local engine runs."""
        if self._value is None:
            raise DflowNbError(f"Secret {self.name!r} names an existing Kubernetes secret: its "
                               "value is only known on Argo (give Secret(value=...) to run "
                               "locally)")
        return self._value

    def __repr__(self) -> str:
        return f"Secret(name={self.name!r}, key={self.key!r})"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("a Secret is not pickled: its value would be written out")

    def __deepcopy__(self, memo: Dict[int, Any]) -> "Secret":
        return self   # immutable: copies of a template share it


class DockerSecret:
    """Credentials of an image registry (Dflow's DockerSecret) for
    ``Workflow(image_pull_secrets=[...])``: the manifest names the Kubernetes secret
    (``kubectl create secret docker-registry NAME --docker-server=... ...``), never the
    password. The local engine pulls no images and ignores it."""

    def __init__(self, registry: str, username: str, password: str,
                 name: Optional[str] = None) -> None:
        self.registry = registry
        self.username = username
        self._password = password
        self.name = name or f"dflow-docker-{randstr()}"

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"DockerSecret(registry={self.registry!r}, name={self.name!r})"

    def __reduce__(self) -> Any:
        raise TypeError("a DockerSecret is not pickled: its password would be written out")

    def __deepcopy__(self, memo: Dict[int, Any]) -> "DockerSecret":
        return self


__all__ = ["DockerSecret", "Secret"]
