"""Where Argo keeps artifacts: the repository reference a manifest carries, and Argo's key layout.

Credentials never go into a manifest: a repository is named by reference (a ConfigMap entry the
cluster admin set up) or described with ``accessKeySecret``/``secretKeySecret`` references to a
Kubernetes Secret. Literal keys are refused here so they cannot leak through the compiler.
"""
from __future__ import annotations

import datetime
import re
from typing import Any, Dict, Mapping, Optional

from dflow_nb.config import s3_config
from dflow_nb.errors import ValidationError
from dflow_nb.storage.archive import archive_name
from dflow_nb.storage.base import join_key

DEFAULT_KEY_FORMAT = "{{workflow.name}}/{{pod.name}}"
_LITERAL_CREDENTIALS = ("accessKey", "secretKey", "access_key", "secret_key", "sessionToken")
_K8S_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_CM_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


def artifact_repository(s3: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """What a manifest needs to reach the artifact repository, from ``s3_config``.

    Returns a dict with at most two entries:
    - ``"artifactRepositoryRef"``: put it at ``spec.artifactRepositoryRef`` (from ``repo_key``,
      ``"key"`` or ``"configMap/key"``);
    - ``"s3"``: location fields to merge into every artifact's ``s3`` block next to its ``key``
      (from ``repo`` = an Argo ArtifactRepository dict, or from endpoint/bucket plus the secret
      references ``access_key_secret``/``secret_key_secret``, each ``{"name", "key"}`` or
      ``"name/key"``).
    An empty dict means: the namespace's or the controller's default repository, key-only artifacts.
    """
    cfg = dict(s3_config if s3 is None else s3)
    out: Dict[str, Any] = {}
    repo_key = cfg.get("repo_key")
    if repo_key:
        out["artifactRepositoryRef"] = _repository_ref(str(repo_key))
    repo = cfg.get("repo")
    if repo:
        out.update(_explicit_from_repo(repo, cfg.get("repo_type") or "s3"))
    elif cfg.get("access_key_secret") or cfg.get("secret_key_secret"):
        if not (cfg.get("access_key_secret") and cfg.get("secret_key_secret")):
            raise ValidationError("s3_config", "an explicit repository needs both secret references",
                                  expected="access_key_secret and secret_key_secret",
                                  given={k: cfg.get(k) for k in ("access_key_secret", "secret_key_secret")})
        loc: Dict[str, Any] = {"endpoint": _endpoint(str(cfg["endpoint"])),
                               "bucket": cfg["bucket_name"],
                               "insecure": not bool(cfg.get("secure", False)),
                               "accessKeySecret": _secret_ref(cfg["access_key_secret"], "access_key_secret"),
                               "secretKeySecret": _secret_ref(cfg["secret_key_secret"], "secret_key_secret")}
        if cfg.get("region"):
            loc["region"] = cfg["region"]
        out["s3"] = loc
    return out


def s3_location(key: str, repository: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """An artifact's ``s3`` block: the key, plus the explicit repository's fields if there is one."""
    loc = dict((repository or {}).get("s3") or {})
    loc.pop("keyFormat", None)
    loc.pop("keyPrefix", None)
    loc["key"] = key
    return loc


def render_key_format(key_format: Optional[str], workflow_name: str, pod_name: str = "",
                      namespace: str = "", uid: str = "",
                      created: Optional[datetime.datetime] = None) -> str:
    """Argo's ``keyFormat`` with the workflow/pod variables filled in."""
    fmt = key_format or DEFAULT_KEY_FORMAT
    created = created or datetime.datetime.now(datetime.timezone.utc)
    values = {"workflow.name": workflow_name, "pod.name": pod_name, "workflow.namespace": namespace,
              "workflow.uid": uid}

    def sub(m: "re.Match[str]") -> str:
        tag = m.group(1).strip()
        if tag in values:
            return values[tag]
        if tag.startswith("workflow.creationTimestamp"):
            rest = tag[len("workflow.creationTimestamp"):].lstrip(".")
            if not rest:
                return created.strftime("%Y-%m-%dT%H:%M:%SZ")
            if rest == "s":
                return str(int(created.timestamp()))
            return created.strftime("%" + rest)
        return m.group(0)

    return re.sub(r"\{\{\s*([^}]+?)\s*\}\}", sub, fmt)


def output_artifact_key(artifact_name: str, workflow_name: str, pod_name: str,
                        key_format: Optional[str] = None, archive: Optional[str] = "tar",
                        path: str = "", **variables: Any) -> str:
    """The key Argo gives an output artifact that has none: ``<keyFormat>/<name>.tgz`` etc."""
    base = render_key_format(key_format, workflow_name, pod_name, **variables)
    return join_key(base, archive_name(artifact_name, archive, path))


def _repository_ref(repo_key: str) -> Dict[str, str]:
    cm, _, key = repo_key.rpartition("/")
    if not _CM_KEY.match(key) or (cm and not _K8S_NAME.match(cm)):
        raise ValidationError("s3_config['repo_key']", "not a ConfigMap key",
                              expected="'key' or 'configMap/key'", given=repo_key)
    return {"configMap": cm, "key": key} if cm else {"key": key}


def _explicit_from_repo(repo: Any, repo_type: str) -> Dict[str, Any]:
    if not isinstance(repo, Mapping):
        raise ValidationError("s3_config['repo']", "not an artifact repository",
                              expected="a dict such as {'s3': {...}}", given=type(repo).__name__)
    body = repo.get(repo_type, repo.get("s3")) if repo_type in repo or "s3" in repo else repo
    if not isinstance(body, Mapping):
        raise ValidationError("s3_config['repo']", f"has no {repo_type!r} section",
                              expected=f"{{'{repo_type}': {{...}}}}", given=sorted(repo))
    leaked = [k for k in _LITERAL_CREDENTIALS if k in body]
    if leaked:
        raise ValidationError("s3_config['repo']", "holds literal credentials, which would be written "
                              "into the manifest", expected="accessKeySecret/secretKeySecret references",
                              given=leaked)
    loc = {k: v for k, v in body.items() if k not in ("keyFormat", "keyPrefix")}
    for ref in ("accessKeySecret", "secretKeySecret"):
        if ref in loc:
            loc[ref] = _secret_ref(loc[ref], f"repo.{ref}")
    return {"s3": loc} if loc else {}


def _secret_ref(ref: Any, where: str) -> Dict[str, str]:
    if isinstance(ref, str) and ref.count("/") == 1:
        name, key = ref.split("/")
    elif isinstance(ref, Mapping) and set(ref) <= {"name", "key", "optional"}:
        name, key = str(ref.get("name", "")), str(ref.get("key", ""))
    else:
        raise ValidationError(f"s3_config[{where!r}]", "not a Secret reference",
                              expected="{'name': secret, 'key': field} or 'secret/field'",
                              given=type(ref).__name__)
    if not _K8S_NAME.match(name) or not _CM_KEY.match(key):
        raise ValidationError(f"s3_config[{where!r}]", "not a valid Secret name/key",
                              expected="a Kubernetes Secret name and key", given=f"{name}/{key}")
    return {"name": name, "key": key}


def _endpoint(endpoint: str) -> str:
    for scheme in ("https://", "http://"):
        if endpoint.startswith(scheme):
            return endpoint[len(scheme):].rstrip("/")
    return endpoint.rstrip("/")
