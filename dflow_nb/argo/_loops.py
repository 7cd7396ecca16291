"""Loops and slices: ``withItems``/``withParam``/``withSequence`` (compact: one JSON string, a
count or a range expression), the ``dflow_slice`` argument each slice reads, and sliced output
artifacts saved under one S3 prefix that consumers read whole."""
from __future__ import annotations

import json
import math
from typing import Any, Dict, List, Optional, Union

from dflow_nb.argo._prescan import takes_slice
from dflow_nb.argo._state import State
from dflow_nb.errors import ValidationError
from dflow_nb.model.composite import CompositeTemplate
from dflow_nb.model.executor import Template
from dflow_nb.model.io import OutputArtifact
from dflow_nb.model.references import ArgoSequence, ArgoVar, path_expr
from dflow_nb.model.step import Step
from dflow_nb.python.python_op_template import Slices


def loop_fields(step: Step, tmpl: Template, where: str) -> Dict[str, Any]:
    """The step's loop field; a sliced step without a loop loops over its slices (or groups)."""
    sl = step.slices if takes_slice(tmpl) else None
    group = getattr(sl, "group_size", None)
    if step.with_items is not None:
        if group:
            return {"withSequence": {"count": str(math.ceil(len(step.with_items) / group))}}
        return {"withItems": list(step.with_items)}
    if step.with_param is not None:
        wp = step.with_param
        if group:
            return _groups(length_expr(wp, where), group)
        if isinstance(wp, (list, tuple)):
            return {"withParam": json.dumps(list(wp), separators=(",", ":"))}
        return {"withParam": str(wp)}
    if step.with_sequence is not None:
        if group:
            return _groups(sequence_length(step.with_sequence), group)
        return {"withSequence": step.with_sequence.to_dict()}
    if sl is None:
        return {}
    n = slice_count(step, where)
    if n is None:
        return {}
    if isinstance(n, int):
        return {"withSequence": {"count": str(math.ceil(n / group) if group else n)}}
    if group:
        return _groups(n, group)
    return {"withParam": "{{=toJson(sprig.untilStep(0, %s, 1))}}" % n}


def _groups(n: str, group: int) -> Dict[str, Any]:
    """A loop over the groups of ``n`` items (an expression), ``group`` items each."""
    return {"withParam": "{{=toJson(sprig.untilStep(0, int(ceil(float(%s) / %d)), 1))}}"
            % (n, group)}


def _as_expr(value: Any, where: str) -> str:
    if isinstance(value, ArgoVar):
        return value.expr
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{{") and text.endswith("}}") and text.count("{{") == 1:
            inner = text[2:-2].strip()
            return inner[1:].strip() if inner.startswith("=") else path_expr(inner.split("."))
    raise ValidationError(where, "cannot count the items of this value on Argo",
                          expected="a list literal or a reference", given=value)


def length_expr(value: Any, where: str) -> str:
    if isinstance(value, (list, tuple)):
        return str(len(value))
    return f"len(sprig.fromJson({_as_expr(value, where)}))"


def sequence_length(seq: ArgoSequence) -> str:
    def e(v: Any) -> str:
        return f"asInt({v.expr})" if isinstance(v, ArgoVar) else str(int(v))
    if seq.count is not None:
        return e(seq.count)
    start = e(seq.start) if seq.start is not None else "0"
    return f"(abs({e(seq.end)} - {start}) + 1)"


def slice_count(step: Step, where: str) -> Union[int, str, None]:
    """How many slices a sliced step without a loop has: an int, or an expression (None when
    it slices nothing)."""
    sl = step.slices
    if sl is None:
        return None
    if sl.input_parameter:
        first = step.parameters.get(sl.input_parameter[0])
        if first is None:
            raise ValidationError(where, f"sliced input parameter {sl.input_parameter[0]!r} "
                                  "has no argument", expected="a list", given=None)
        if isinstance(first, (list, tuple)):
            return len(first)
        if isinstance(first, str) and "{{" not in first:
            try:
                return len(json.loads(first))
            except ValueError:
                raise ValidationError(where, "a sliced input parameter must be a list",
                                      given=first) from None
        return length_expr(first, where)
    if sl.input_artifact:
        if sl.input_artifact[0] not in step.artifacts:
            raise ValidationError(where, f"sliced input artifact {sl.input_artifact[0]!r} "
                                  "has no argument", expected="an artifact", given=None)
        return "asInt(%s)" % path_expr((step.scope_kind, init_name(step), "outputs",
                                        "parameters", "count"))
    return None


def init_name(step: Step) -> str:
    """The init step that counts a sliced input artifact's items (see ``_init``)."""
    return f"{step.name}-init"


def slice_argument(step: Step, sl: Slices) -> str:
    """The ``dflow_slice`` argument: a SliceSpec as JSON whose index Argo fills per item."""
    index = sl.slices if not sl.group_size else "{{item}}"
    spec: Dict[str, Any] = {"index": "@@INDEX@@", "input_parameter": sl.input_parameter,
                            "input_artifact": sl.input_artifact,
                            "output_parameter": sl.output_parameter,
                            "output_artifact": sl.output_artifact, "pool_size": sl.pool_size,
                            "create_dir": sl.create_dir}
    if sl.group_size:
        spec["group"] = {"size": sl.group_size, "shuffle": bool(sl.shuffle),
                         "seed": sl.random_seed, "n": "@@N@@"}
    text = json.dumps(spec, separators=(",", ":")).replace('"@@INDEX@@"', index)
    return text.replace('"@@N@@"', _group_total(step)) if sl.group_size else text


def _group_total(step: Step) -> str:
    where = f"step {step.name!r}"
    if step.with_items is not None:
        return str(len(step.with_items))
    if step.with_param is not None:
        return "{{=%s}}" % length_expr(step.with_param, where)
    if step.with_sequence is not None:
        return "{{=%s}}" % sequence_length(step.with_sequence)
    n = slice_count(step, where)
    return str(n) if isinstance(n, int) else "{{=%s}}" % n


def sliced_output_artifacts(step: Step, tmpl: Template) -> List[str]:
    sl = step.slices
    if sl is None or not takes_slice(tmpl):
        return []
    return list(sl.output_artifact or [])


def slice_key(parent: Optional[CompositeTemplate], step: Step) -> str:
    return "{{workflow.name}}/dflow-slices/%s/%s" % (parent.name if parent is not None else "-",
                                                    step.name)


def sliced_variant(st: State, tmpl: Template, names: List[str]) -> str:
    """A copy of the template whose listed output artifacts all slices save under one prefix."""
    key = (tmpl.name, tuple(sorted(names)))
    if key in st.variants:
        return st.variants[key]
    base = json.loads(json.dumps(st.templates[tmpl.name]))
    vname = f"{tmpl.name}-sliced" if not any(k[0] == tmpl.name for k in st.variants) else \
        f"{tmpl.name}-sliced{len(st.variants)}"
    base["name"] = vname
    params = base.setdefault("inputs", {}).setdefault("parameters", [])
    params.append({"name": "dflow_artifact_key", "value": ""})
    for a in base.get("outputs", {}).get("artifacts", []):
        if a["name"] in names:
            a["archive"] = {"none": {}}
            a["s3"] = {"key": "{{inputs.parameters.dflow_artifact_key}}/" + a["name"]}
    st.templates[vname] = base
    st.objects[vname] = base
    st.variants[key] = vname
    return vname


def sliced_source(st: State, source: Any) -> Optional[Dict[str, Any]]:
    """A consumer of a sliced step's output artifact reads the merged prefix."""
    if not isinstance(source, OutputArtifact) or source.step is None:
        return None
    producer = source.step
    if source.name not in sliced_output_artifacts(producer, producer.template):
        return None
    return {"s3": {"key": slice_key(st.parents.get(id(producer)), producer) + "/" +
                   source.name}}
