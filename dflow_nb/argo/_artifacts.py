"""Where an artifact comes from on Argo: a reference, an expression, S3, raw text, or local
files the backend uploads before it submits (listed in the uploads annotation)."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, List

from dflow_nb.argo._state import State, digest
from dflow_nb.config import s3_config
from dflow_nb.errors import ValidationError
from dflow_nb.model.io import IOBase
from dflow_nb.model.references import ArgoVar
from dflow_nb.python.python_op_template import uploaded_packages


def artifact_source(st: State, source: Any, where: str, allow_refs: bool = True
                     ) -> Dict[str, Any]:
    """One artifact location: a reference (``from``), an expression, S3, raw text or local files
    (which the backend uploads: see UPLOADS_ANNOTATION)."""
    raw = getattr(source, "argo_location", None)
    if isinstance(raw, dict):
        return dict(raw)
    if isinstance(source, IOBase) or (isinstance(source, ArgoVar) and source.tag):
        if not allow_refs:
            raise ValidationError(where, "a template default cannot refer to a step",
                                  given=str(source))
        d = {"from": str(source)}
        sub = getattr(source, "sub_path", None)
        if isinstance(sub, str) and sub and isinstance(source, IOBase) and source.step is not None:
            d["subPath"] = sub
        return d
    if isinstance(source, ArgoVar):
        return {"fromExpression": source.expr}
    if isinstance(source, str) and source.startswith("{{") and source.endswith("}}"):
        inner = source[2:-2].strip()
        return {"fromExpression": inner[1:].strip()} if inner.startswith("=") \
            else {"from": source}
    if type(source).__name__ == "S3Artifact":
        return {"s3": {"key": str(source.key)}}
    local = getattr(source, "local_path", None)
    if local is not None or isinstance(source, (str, Path)):
        given = [local] if isinstance(local, (str, Path)) else list(local) if local else \
            [source]
        paths = [os.path.abspath(str(p)) for p in given]
        return {"s3": {"key": upload_key(st, "upload", paths)}}
    raise ValidationError(where, "cannot be used as an artifact on Argo",
                          expected="a step output, an S3Artifact or upload_artifact(...)",
                          given=source)


def upload_key(st: State, kind: str, paths: List[str]) -> str:
    """The S3 key (under ``s3_config["prefix"]``, as Dflow's uploads) the backend uploads
    ``paths`` to; one key per distinct list of paths."""
    prefix = str(s3_config.get("prefix") or "")
    key = f"{prefix}dflow-nb/{kind}/{digest(json.dumps(paths))[:16]}"
    st.uploads[key] = paths
    return key


def package_paths(tmpl: Any) -> List[str]:
    paths = list(tmpl.python_packages) + uploaded_packages()
    if tmpl.upload_dflow:
        paths.append(str(Path(__file__).resolve().parents[1]))
    return sorted({os.path.abspath(str(p)) for p in paths})
