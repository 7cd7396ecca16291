"""Slicing an input artifact without a loop: the init step ``<step>-init`` counts the items of
the first sliced artifact (Dflow's init-artifact-slices step); the step loops over that count."""
from __future__ import annotations

from typing import Any, Dict

from dflow_nb.argo._artifacts import artifact_source
from dflow_nb.argo._loops import init_name, sliced_source
from dflow_nb.argo._prescan import step_template, takes_slice
from dflow_nb.argo._state import DEFAULT_PYTHON_IMAGE, TMP, State
from dflow_nb.argo._text import when_text
from dflow_nb.argo.slice_count import init_source
from dflow_nb.config import config
from dflow_nb.model.step import Step

INIT_TEMPLATE = "dflow-nb-artifact-items"


def needs_init(st: State, step: Step) -> bool:
    """A sliced step whose loop is the number of items of an input artifact: an init step
    ``<step>-init`` lists the artifact first (Dflow's init-artifact-slices step)."""
    sl = step.slices
    return sl is not None and bool(sl.input_artifact) and not sl.input_parameter and \
        step.with_param is None and step.with_items is None and step.with_sequence is None \
        and takes_slice(step_template(st, step))


def init_step(st: State, step: Step, parent: Any) -> Dict[str, Any]:
    """The step that counts the items of the first sliced input artifact (the loop's length).

    Each slice then mounts the whole artifact and its script picks its item by index (with
    ``sub_path=True`` too: the OP sees the one file or directory of its item, as in Dflow).
    """
    if INIT_TEMPLATE not in st.templates:
        st.templates[INIT_TEMPLATE] = _init_template()
        st.objects[INIT_TEMPLATE] = st.templates[INIT_TEMPLATE]
    where = f"{step.scope_kind[:-1]} {step.name!r} of {parent.name!r}"
    name = step.slices.input_artifact[0]
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
