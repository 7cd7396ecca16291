"""Argo memoization: a template's ``memoize`` field, and the cache ConfigMap that makes Argo
reuse steps of an earlier run (``submit(reuse_step=...)``) as memoization hits."""
from __future__ import annotations

import datetime
import json
import re
from typing import Any, Dict, List, Optional

from dflow_nb.errors import ValidationError
from dflow_nb.hub.records import StepRecord

MEMO_CONFIGMAP = "dflow-nb-memoize"
REUSE_CONFIGMAP_PREFIX = "dflow-nb-reuse-"
MEMO_MAX_AGE = "87600h"


def memoize_field(key: str, configmap: str) -> Dict[str, Any]:
    """A template's ``memoize``: results cached under ``key`` in ``configmap``."""
    return {"key": key, "maxAge": MEMO_MAX_AGE, "cache": {"configMap": {"name": configmap}}}


def reuse_configmap_name(workflow_name: str) -> str:
    """The cache ConfigMap of ``reuse_step`` runs of ``workflow_name`` (a Kubernetes name)."""
    return (REUSE_CONFIGMAP_PREFIX + workflow_name)[:63].rstrip("-")


def reuse_cache_configmap(workflow_name: str, records: List[StepRecord],
                          namespace: Optional[str] = None) -> Dict[str, Any]:
    """The memoization cache ConfigMap that makes Argo reuse ``records`` (keyed steps) as hits.

    Entries follow Argo's cache format (``nodeID``, ``outputs``, timestamps); the backend applies
    it through the Kubernetes API before submitting the manifest compiled with ``reuse_step``.
    """
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    data = {}
    for r in records:
        if not getattr(r, "key", None):
            continue
        key = str(r.key)
        if not _CM_KEY.match(key) or len(key) > 253:
            raise ValidationError(f"reuse_step, step key {key!r}", "cannot name an entry of "
                                  "Argo's memoization cache (a ConfigMap key)",
                                  expected="letters, digits, '-', '_' and '.' only", given=key)
        data[key] = json.dumps({"nodeID": getattr(r, "id", ""), "outputs": _memo_outputs(r),
                                "creationTimestamp": now, "lastHitTimestamp": now},
                               separators=(",", ":"))
    meta: Dict[str, Any] = {"name": reuse_configmap_name(workflow_name),
                            "labels": {"workflows.argoproj.io/configmap-type": "Cache"}}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


_CM_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_LOCATIONS = ("s3", "raw", "http", "git", "artifactory", "hdfs", "oss", "gcs", "azure")


def _memo_outputs(record: StepRecord) -> Dict[str, Any]:
    """A step record's outputs as Argo stores them in a memoization entry: parameters by value,
    artifacts by repository location (a step that ran locally has none: refused)."""
    raw = dict(getattr(record, "raw_outputs", None) or {})
    out: Dict[str, Any] = {}
    params = [{k: p[k] for k in ("name", "value", "globalName") if k in p}
              for p in raw.get("parameters") or [] if "value" in p]
    if params:
        out["parameters"] = params
    arts = []
    for a in raw.get("artifacts") or []:
        loc = next((k for k in _LOCATIONS if k in a), None)
        if loc is None:
            raise ValidationError(f"reuse_step, step {getattr(record, 'displayName', '?')!r}, "
                                  f"output artifact {a.get('name')!r}", "is not in the artifact "
                                  "repository, so Argo cannot reuse it",
                                  expected="a step of an Argo run, or modify_output_artifact("
                                  "name, S3Artifact(key=...))", given=a.get("path"))
        arts.append({k: a[k] for k in ("name", "path", loc, "archive", "globalName") if k in a})
    if arts:
        out["artifacts"] = arts
    if raw.get("exitCode") is not None:
        out["exitCode"] = str(raw["exitCode"])
    return out
