"""A template's ``inputs`` and ``outputs``: parameters (BigParameters as artifacts), artifacts,
and the parameters the compiler adds (``dflow_key``, ``dflow_slice``, ``dflow_success_tag``,
the Python packages to upload)."""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from dflow_nb.argo._artifacts import artifact_source, package_paths, upload_key
from dflow_nb.argo._extra import EXTRA, VALUE_FROM, kept
from dflow_nb.argo._prescan import big_in, big_out, is_python
from dflow_nb.argo._state import SUCCESS_TAG, TMP, State
from dflow_nb.argo._text import param_text
from dflow_nb.config import config
from dflow_nb.errors import ValidationError
from dflow_nb.model.executor import Template
from dflow_nb.model.io import UNSET, InputArtifact, IOBase, OutputArtifact, OutputParameter
from dflow_nb.model.references import ArgoVar
from dflow_nb.model.typing_checks import describe_type


def _type_description(p: Any) -> Optional[str]:
    if getattr(p, "description", None):
        return p.description
    if p.type is None:
        return None
    return json.dumps({"type": "str" if p.type is str else describe_type(p.type)})


def template_inputs(st: State, tmpl: Template) -> Dict[str, Any]:
    params: List[Dict[str, Any]] = []
    arts: List[Dict[str, Any]] = []
    root = getattr(tmpl, "tmp_root", TMP)
    for name, p in tmpl.inputs.parameters.items():
        if big_in(st, tmpl, name):
            big: Dict[str, Any] = {"name": f"dflow_bigpar_{name}"}
            if tmpl.is_leaf:
                big["path"] = p.path or f"{root}/inputs/parameters/{name}"
            if p.has_value:
                big["raw"] = {"data": param_text(p.value)}
            arts.append(big)
            continue
        d: Dict[str, Any] = {"name": name}
        if p.has_value:
            d["value"] = param_text(p.value)
        if p.enum:
            d["enum"] = [str(e) for e in p.enum]
        desc = _type_description(p)
        if desc:
            d["description"] = desc
        d.update(kept(p, EXTRA))
        params.append(d)
    names = {p["name"] for p in params}
    if tmpl.name in st.keyed and "dflow_key" not in names:
        params.append({"name": "dflow_key", "value": ""})
    if tmpl.name in st.sliced and "dflow_slice" not in names:
        params.append({"name": "dflow_slice", "value": ""})
    for name, a in tmpl.inputs.artifacts.items():
        arts.append(_input_artifact(st, tmpl, name, a))
    if is_python(tmpl):
        packages = package_paths(tmpl)
        if packages:
            arts.append({"name": "dflow_python_packages",
                         "path": f"{root}/inputs/artifacts/dflow_python_packages",
                         "optional": True, "s3": {"key": upload_key(st, "packages", packages)}})
    out: Dict[str, Any] = {}
    if params:
        out["parameters"] = params
    if arts:
        out["artifacts"] = arts
    return out


def _input_artifact(st: State, tmpl: Template, name: str, a: InputArtifact) -> Dict[str, Any]:
    d: Dict[str, Any] = {"name": name}
    if a.path:
        d["path"] = a.path
    elif tmpl.is_leaf:
        d["path"] = f"{TMP}/inputs/artifacts/{name}"
    if a.optional:
        d["optional"] = True
    if a.mode is not None:
        d["mode"] = int(a.mode)
    if a.sub_path:
        d["subPath"] = a.sub_path
    if a.archive not in ("default", None) or a.archive is None:
        d["archive"] = _archive(a.archive)
    if a.source is not None:
        d.update(artifact_source(st, a.source, f"template {tmpl.name!r}, input artifact "
                                  f"{name!r}", allow_refs=False))
    d.update(kept(a, EXTRA))
    return d


def _archive(mode: Any) -> Dict[str, Any]:
    if mode is None:
        return {"none": {}}
    if mode == "tar":
        return {"tar": {}}
    if mode == "zip":
        return {"zip": {}}
    if isinstance(mode, dict):
        return mode
    raise ValidationError("artifact", "unsupported archive", expected="'tar', 'zip' or None",
                          given=mode)


def template_outputs(st: State, tmpl: Template) -> Dict[str, Any]:
    params: List[Dict[str, Any]] = []
    arts: List[Dict[str, Any]] = []
    root = getattr(tmpl, "tmp_root", TMP)
    for name, p in tmpl.outputs.parameters.items():
        if big_out(st, tmpl, name):
            big: Dict[str, Any] = {"name": f"dflow_bigpar_{name}"}
            if p.value_from_path:
                big["path"] = p.value_from_path
            elif p.value_from_parameter is not None:
                big["from"] = bigpar_tag(p.value_from_parameter)
            if p.global_name:
                big["globalName"] = p.global_name
            arts.append(big)
            continue
        params.append(_output_parameter(name, p))
    if tmpl.name in st.tagged and tmpl.is_leaf:
        params.append({"name": SUCCESS_TAG, "valueFrom": {
            "path": f"{root}/outputs/parameters/{SUCCESS_TAG}", "default": "1"}})
    for name, a in tmpl.outputs.artifacts.items():
        arts.append(_output_artifact(st, tmpl, name, a))
    out: Dict[str, Any] = {}
    if params:
        out["parameters"] = params
    if arts:
        out["artifacts"] = arts
    return out


def bigpar_tag(ref: Any) -> str:
    if isinstance(ref, IOBase) and ref.tag:
        parts = ref.tag.split(".")
        parts[-2] = "artifacts"
        parts[-1] = "dflow_bigpar_" + parts[-1]
        return "{{" + ".".join(parts) + "}}"
    return str(ref)


def _output_parameter(name: str, p: OutputParameter) -> Dict[str, Any]:
    d: Dict[str, Any] = {"name": name}
    vf: Dict[str, Any] = {}
    if p.value_from_path:
        vf["path"] = p.value_from_path
    if p.value_from_parameter is not None:
        vf["parameter"] = str(p.value_from_parameter)
    if p.value_from_expression is not None:
        e = p.value_from_expression
        vf["expression"] = e.expr if isinstance(e, ArgoVar) else str(e)
    if p.has_default:
        vf["default"] = param_text(p.default)
    vf.update(kept(p, VALUE_FROM))
    if vf:
        d["valueFrom"] = vf
    if p.value is not UNSET and p.value is not None:
        d["value"] = param_text(p.value)
    if p.global_name:
        d["globalName"] = p.global_name
    desc = _type_description(p)
    if desc:
        d["description"] = desc
    if not vf and "value" not in d:
        raise ValidationError(f"output parameter {name!r}", "is not specified",
                              expected="value_from_path, value_from_parameter, "
                              "value_from_expression or a default", given=None)
    return d


def _output_artifact(st: State, tmpl: Template, name: str, a: OutputArtifact) -> Dict[str, Any]:
    d: Dict[str, Any] = {"name": name}
    if a.path:
        d["path"] = a.path
    if a._from is not None:
        d["from"] = str(a._from)
    if a.from_expression is not None:
        e = a.from_expression
        d["fromExpression"] = e.expr if isinstance(e, ArgoVar) else str(e)
    if a.global_name:
        d["globalName"] = a.global_name
    if a.optional:
        d["optional"] = True
    if a.archive != "default" and tmpl.is_leaf:
        d["archive"] = _archive(a.archive)
    elif a.archive == "default" and tmpl.is_leaf and config.get("archive_mode") is None:
        d["archive"] = {"none": {}}
    saves = a.save if isinstance(a.save, list) else [a.save] if a.save is not None else []
    for s in saves:
        key = getattr(s, "key", None)
        if key:
            d["s3"] = {"key": str(key)}
    if not any(k in d for k in ("path", "from", "fromExpression")) and not a.optional:
        raise ValidationError(f"template {tmpl.name!r}, output artifact {name!r}",
                              "is not specified", expected="path, _from or from_expression",
                              given=None)
    d.update(kept(a, EXTRA))
    return d
