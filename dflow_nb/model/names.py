"""Argo's naming rules (SEMANTICS.md §1), checked when objects are built."""
from __future__ import annotations

import re
import secrets
import string

from dflow_nb.errors import ValidationError

TEMPLATE_NAME = re.compile(r"^[a-zA-Z0-9][-a-zA-Z0-9]*$")
IO_NAME = re.compile(r"^[-a-zA-Z0-9_]+$")
WORKFLOW_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
MAX_NAME = 128
#: A parameter or artifact name becomes a file name (``outputs/parameters/<name>``, and
#: ``<name>.tgz`` for an archived artifact): at most NAME_MAX (255 bytes) with ``.tgz``.
MAX_IO_NAME = 255 - len(".tgz")
MAX_WORKFLOW_NAME = 63
RANDOM_SUFFIX = 5


def randstr(n: int = RANDOM_SUFFIX) -> str:
    """Lower-case alphanumerics, as Argo's generateName suffix."""
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(n))


def kebab(name: str) -> str:
    """Dflow-style names allow ``_``; Argo does not, so map it to ``-``."""
    return name.replace("_", "-")


def check_node_name(name: str, what: str) -> str:
    """A template, step or task name as Argo accepts it; ``_`` is mapped to ``-``."""
    if not isinstance(name, str) or not name:
        raise ValidationError(what, "a name is required", expected="a non-empty string", given=name)
    fixed = kebab(name)
    if len(fixed) > MAX_NAME:
        raise ValidationError(what, f"name is longer than {MAX_NAME} characters",
                              expected=f"at most {MAX_NAME} characters", given=name)
    if not TEMPLATE_NAME.match(fixed):
        raise ValidationError(what, "name has characters Argo does not allow",
                              expected="letters, digits and '-', starting with a letter or digit",
                              given=name)
    return fixed


def check_io_name(name: str, what: str) -> str:
    """A parameter or artifact name as Argo accepts it."""
    if not isinstance(name, str) or not IO_NAME.match(name):
        raise ValidationError(what, "bad parameter/artifact name",
                              expected="letters, digits, '-' and '_'", given=name)
    if len(name) > MAX_IO_NAME:
        raise ValidationError(what, f"name is longer than {MAX_IO_NAME} characters (it becomes "
                              "a file name)", expected=f"at most {MAX_IO_NAME} characters",
                              given=name[:40] + "...")
    return name


def check_workflow_name(name: str) -> str:
    """Workflow names become Kubernetes object names: lower case, <= 63 with the suffix."""
    fixed = kebab(name).lower()
    limit = MAX_WORKFLOW_NAME - RANDOM_SUFFIX - 1
    if len(fixed) > limit:
        raise ValidationError("workflow", f"name is longer than {limit} characters "
                              "(Argo adds a 6-character suffix to make 63)",
                              expected=f"at most {limit} characters", given=name)
    if not WORKFLOW_NAME.match(fixed):
        raise ValidationError("workflow", "name is not a valid Kubernetes name",
                              expected="lower-case letters, digits and '-'", given=name)
    return fixed


def fnv32a(text: str) -> int:
    """The 32-bit FNV-1a hash Argo uses in node ids and pod names."""
    h = 0x811C9DC5
    for b in text.encode():
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def node_id(workflow: str, name: str) -> str:
    """Root node id is the workflow name; others ``<workflow>-<fnv32a(name)>``, as Argo."""
    return workflow if name == workflow else f"{workflow}-{fnv32a(name)}"
