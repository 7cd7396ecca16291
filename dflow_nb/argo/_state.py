"""What one compilation of a workflow collects, and the fixed names it emits."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Dict, List, Tuple

from dflow_nb.hub.workflow import Workflow

DEFAULT_PYTHON_IMAGE = "python:3.11"
DEFAULT_SHELL_IMAGE = "alpine:3"
SUCCESS_TAG = "dflow_success_tag"
TMP = "/tmp"


@dataclass
class State:
    """What one compilation collects while it walks the model."""

    workflow: Workflow
    reuse: bool = False
    templates: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    objects: Dict[str, Any] = field(default_factory=dict)
    uploads: Dict[str, List[str]] = field(default_factory=dict)
    keyed: set = field(default_factory=set)          # template names used by keyed steps
    unkeyed: set = field(default_factory=set)        # ... and by steps without a key
    sliced: set = field(default_factory=set)         # Python templates used with slices
    tagged: set = field(default_factory=set)         # templates needing dflow_success_tag
    rendered: Dict[Tuple[int, int], Any] = field(default_factory=dict)
    variants: Dict[Tuple[str, Tuple[str, ...]], str] = field(default_factory=dict)
    parents: Dict[int, Any] = field(default_factory=dict)  # id(step) -> its Steps/DAG
    containers: List[Any] = field(default_factory=list)    # Steps/DAG templates in use
    big_in: set = field(default_factory=set)   # (id(Steps/DAG), input) inferred BigParameters
    big_out: set = field(default_factory=set)  # (id(Steps/DAG), output) ...


def digest(text: str) -> str:
    """A stable hash of ``text``, for generated names and upload keys."""
    return hashlib.sha1(text.encode()).hexdigest()
