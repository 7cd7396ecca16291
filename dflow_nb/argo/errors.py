"""What can go wrong talking to an Argo Server, said in the user's terms.

Every class carries the host, the request and what to check next, so a notebook user sees
"the token was rejected" rather than a stack of httpx internals. The token is never part of a
message: the client scrubs it from anything the server echoes back.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, TypedDict

from dflow_nb.errors import DflowNbError, WorkflowNotFound


class Request(TypedDict, total=False):
    """The call an error is about (ArgoError's keyword arguments)."""

    host: str
    method: str
    path: str
    status: Optional[int]
    code: Optional[int]
    server_message: Optional[str]


class ArgoError(DflowNbError):
    """Base of every failure of a call to the Argo Server."""

    def __init__(self, message: str, *, host: str = "", method: str = "", path: str = "",
                 status: Optional[int] = None, code: Optional[int] = None,
                 server_message: Optional[str] = None,
                 details: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(message)
        self.host = host
        self.method = method
        self.path = path
        self.status = status
        self.code = code
        self.server_message = server_message
        self.details = details or {}


class ArgoConnectionError(ArgoError, ConnectionError):
    """The server could not be reached (refused, DNS, dropped connection)."""


class ArgoTLSError(ArgoConnectionError):
    """The server's certificate could not be verified."""


class ArgoTimeout(ArgoError, TimeoutError):
    """The server did not answer in time."""


class ArgoBadRequest(ArgoError, ValueError):
    """400: the server refused the request as invalid (a manifest Argo rejects, a bad selector)."""


class ArgoUnauthorized(ArgoError, PermissionError):
    """401: no token, or the token was rejected."""


class ArgoForbidden(ArgoError, PermissionError):
    """403: the token is valid but lacks the permission (RBAC) for this action."""


class ArgoNotFound(ArgoError, WorkflowNotFound):
    """404: no such workflow (or archived workflow) in the namespace."""


class ArgoConflict(ArgoError):
    """409: a workflow with that name already exists (or was changed concurrently)."""


class ArgoServerError(ArgoError):
    """5xx: the server (or a proxy in front of it) failed."""


class ArgoStreamError(ArgoError):
    """A watch or log stream ended with an error object instead of data."""
