"""Slicing an input artifact without a loop: the init step ``<step>-init`` counts the items of
the first sliced artifact (Dflow's init-artifact-slices step); the step loops over that count."""
from __future__ import annotations

from typing import Any, Dict, Optional

from dflow_nb.argo._artifacts import artifact_source
from dflow_nb.argo._loops import init_name, sliced_source
from dflow_nb.argo._prescan import step_template, takes_slice
from dflow_nb.argo._state import DEFAULT_PYTHON_IMAGE, TMP, State
from dflow_nb.argo._text import when_text
from dflow_nb.argo.slice_count import init_source
from dflow_nb.config import config
from dflow_nb.model.composite import CompositeTemplate
from dflow_nb.model.step import Step

INIT_TEMPLATE = "dflow-nb-artifact-items"


def _counted_artifact(st: State, step: Step) -> Optional[str]:
    """The input artifact whose items a sliced step loops over when it has no loop of its own
    (the first sliced one), else None."""
    sl = step.slices
    if sl is None or not sl.input_artifact or sl.input_parameter or \
            step.with_param is not None or step.with_items is not None or \
            step.with_sequence is not None or not takes_slice(step_template(st, step)):
        return None
    return str(sl.input_artifact[0])


def init_step(st: State, step: Step, parent: CompositeTemplate) -> Optional[Dict[str, Any]]:
    """The step that counts the items of the artifact ``step`` loops over, if it needs one.

    Each slice then mounts the whole artifact and its script picks its item by index (with
    ``sub_path=True`` too: the OP sees the one file or directory of its item, as in Dflow).
    """
    name = _counted_artifact(st, step)
    if name is None:
        return None
    if INIT_TEMPLATE not in st.templates:
        st.templates[INIT_TEMPLATE] = _init_template()
        st.objects[INIT_TEMPLATE] = st.templates[INIT_TEMPLATE]
    where = f"{step.scope_kind[:-1]} {step.name!r} of {parent.name!r}"
    source = step.artifacts[name]
    src = sliced_source(st, source)
    if src is None:
        src = artifact_source(st, source, f"{where}, artifact {name!r}")
    d: Dict[str, Any] = {"name": init_name(step), "template": INIT_TEMPLATE,
                         "arguments": {"artifacts": [{"name": "artifact", **src}]}}
    when = when_text(step.when)
    if when:
        d["when"] = when
    return d


def after_init(deps: Dict[str, Any], name: str) -> Dict[str, Any]:
    """A task's dependencies plus ``name`` (its init task)."""
    if "dependencies" in deps:
        return {"dependencies": list(deps["dependencies"]) + [name]}
    if "depends" in deps:
        return {"depends": f"({deps['depends']}) && {name}"}
    return {"depends": name}


def _init_template() -> Dict[str, Any]:
    path = f"{TMP}/inputs/artifacts/artifact"
    count = f"{TMP}/outputs/parameters/count"
    return {"name": INIT_TEMPLATE,
            "inputs": {"artifacts": [{"name": "artifact", "path": path}]},
            "outputs": {"parameters": [{"name": "count", "valueFrom": {"path": count}}]},
            "script": {"image": config.get("util_image") or DEFAULT_PYTHON_IMAGE,
                       "command": ["python3"], "source": init_source(path, count)}}
