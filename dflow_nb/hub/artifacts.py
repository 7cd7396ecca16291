"""Artifacts users hand to workflows and get back: ``upload_artifact`` / ``download_artifact``.

On the local engine an uploaded artifact is a directory in the work directory's artifact store
(files copied, with a catalog so lists keep their order); downloading copies a step's output
files where the user wants them.

In S3 mode (Argo backend, or ``config["debug_s3"]``; see ``dflow_nb.storage.s3_mode``) they
live in the S3 repository with Dflow's layout: ``<prefix>upload/<uuid>/<tmpname>.tgz`` holding
one top directory with the files at their paths relative to the working directory and the
catalog under ``.dflow/``; ``archive=None`` stores the same tree as plain keys.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

from dflow_nb.config import config, s3_config, work_directory
from dflow_nb.python.catalog import (
    CATALOG_DIR,
    copy_path,
    load_input,
    plan_items,
    read_catalog,
    save_output,
    write_catalog,
)
from dflow_nb.storage import (
    ArchiveEntry,
    KeyNotFound,
    StorageClient,
    UnsafeArchiveError,
    client_from_config,
    download_tree,
    extract_artifact,
    join_key,
    pack_tgz,
    read_members,
    s3_mode,
    upload_tree,
)
from dflow_nb.storage.extract import MAX_MEMBER_READ

PathLike = Union[str, Path]


class LocalArtifact:
    """Files on this machine used as an artifact (what ``upload_artifact`` returns locally)."""

    def __init__(self, local_path: Union[PathLike, List[PathLike]]) -> None:
        self.local_path = local_path

    @property
    def paths(self) -> List[str]:
        lp = self.local_path
        return [str(lp)] if isinstance(lp, (str, Path)) else [str(p) for p in lp]

    def __repr__(self) -> str:
        return f"LocalArtifact({self.local_path!r})"


class S3Artifact:
    """An artifact in the S3 artifact repository, by key (used by Argo and S3 storage).

    Outside S3 mode (and without ``debug_s3``) the key is a local path, as in Dflow's debug mode.
    """

    def __init__(self, key: Optional[str] = None, path_list: Optional[List[Any]] = None,
                 urn: str = "", debug_s3: bool = False, *args: Any, **kwargs: Any) -> None:
        remote = bool(debug_s3) or s3_mode()
        prefix = s3_config.get("prefix") or ""
        if remote and key and prefix and not key.startswith(prefix):
            key = prefix + key
        self.key = key
        self.path_list = path_list or []
        self.urn = urn
        self.debug_s3 = bool(debug_s3)
        self.slice: Any = None
        self.subpath: Optional[str] = None
        self.extra = kwargs
        self._remote = remote

    @property
    def local_path(self) -> Optional[str]:
        """Outside S3 mode the key is a local path, as in Dflow's debug mode."""
        if self._remote or self.key is None:
            return None
        return self.key if not self.subpath else f"{self.key}/{self.subpath}"

    def sub_path(self, path: str) -> "S3Artifact":
        """The same artifact narrowed to one file or directory inside it."""
        art = self._copy()
        art.subpath = f"{self.subpath}/{path}" if self.subpath else str(path)
        return art

    def __getitem__(self, index: Any) -> "S3Artifact":
        """The same artifact narrowed to catalog item(s) ``index`` (an int or a list)."""
        art = self._copy()
        art.slice = index
        return art

    def _copy(self) -> "S3Artifact":
        art = object.__new__(S3Artifact)
        art.__dict__.update(self.__dict__)
        art.path_list = list(self.path_list)
        return art

    def download(self, **kwargs: Any) -> List[str]:
        return download_artifact(self, **kwargs)

    def to_dict(self) -> Dict[str, Any]:
        d: Dict[str, Any] = {"key": self.key, "urn": self.urn}
        if self.path_list:
            d["path_list"] = self.path_list
        if self.debug_s3:
            d["debug_s3"] = True
        return d

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "S3Artifact":
        return cls(key=d.get("key"), path_list=d.get("path_list"), urn=d.get("urn", ""),
                   debug_s3=d.get("debug_s3", False))

    def __repr__(self) -> str:
        return f"S3Artifact(key={self.key!r})"


def _store_root() -> Path:
    return work_directory().resolve() / "upload"


def upload_artifact(path: Union[PathLike, Iterable[PathLike]], archive: str = "default",
                    namespace: Optional[str] = None, dataset_name: Optional[str] = None,
                    **kwargs: Any) -> Union[LocalArtifact, "S3Artifact"]:
    """Snapshot files (or a list of them) so later edits do not change what a step reads.

    In S3 mode (or given ``storage_client=``) the snapshot goes to the S3 repository and an
    ``S3Artifact`` with its key and catalog (``path_list``) comes back.
    """
    client = _explicit_client(kwargs)
    if client is not None or s3_mode():
        return _upload_remote(path, archive, client or storage_for(kwargs))
    root = _store_root() / uuid.uuid4().hex[:12]
    value: Any = path if isinstance(path, (str, Path)) else list(path)
    for p in (value if isinstance(value, list) else [value]):
        if not Path(p).exists():
            raise FileNotFoundError(f"upload_artifact: {str(p)!r} does not exist")
    save_output(value, root, Path.cwd())
    return LocalArtifact(str(root))


def download_artifact(artifact: Any, path: PathLike = ".", skip_exists: bool = False,
                      **kwargs: Any) -> List[str]:
    """Copy an artifact's files under ``path``; returns the downloaded paths in list order,
    joined to ``path`` as given (``['./output.txt']``, as Dflow).

    An artifact in S3 is fetched, safely extracted and merged into ``path`` (keywords as in
    Dflow: ``extract``, ``sub_path``, ``slice``, ``remove_catalog``).
    """
    key = _remote_key(artifact)
    if key is not None:
        got = _download_remote(artifact, key, Path(path), skip_exists, kwargs)
        return [os.path.join(str(path), os.path.relpath(p, str(path))) for p in got]
    dest = Path(path)
    dest.mkdir(parents=True, exist_ok=True)
    sources = _local_parts(artifact)
    out: List[str] = []
    for src in sources:
        items = read_catalog(src) if src.is_dir() else None
        pairs = [(src, src.name)] if items is None else \
            [(src / it["path"], it["path"]) for it in items if it["path"] is not None]
        for origin, rel in pairs:
            target = dest / rel
            if not (skip_exists and target.exists()):
                copy_path(origin, target)
            out.append(os.path.join(str(path), rel))   # Dflow's form: './output.txt'
    return out


def path_list_of_artifact(artifact: Any, **kwargs: Any) -> List[str]:
    """The relative paths an artifact lists, in order."""
    key = _remote_key(artifact)
    if key is not None:
        return [it["path"] for it in _remote_items(artifact, key, kwargs) if it["path"] is not None]
    out: List[str] = []
    for src in _local_parts(artifact):
        items = read_catalog(src) if src.is_dir() else None
        out.extend(it["path"] for it in items or [] if it["path"] is not None)
    return out


def path_object_of_artifact(artifact: Any, tp: Any = List[Path]) -> Any:
    """The value an OP would see for this artifact (a path, a list or a dict of paths).

    For an artifact in S3 the paths are relative to the artifact's root (nothing is downloaded
    but the catalog).
    """
    key = _remote_key(artifact)
    if key is not None:
        return _shape(_remote_items(artifact, key, {}))
    parts = _local_parts(artifact)
    return load_input(parts[0], tp) if len(parts) == 1 else [
        p for part in parts for p in load_input(part, List[Path])]


def _local_parts(artifact: Any) -> List[Path]:
    lp = getattr(artifact, "local_path", artifact)
    if lp is None:
        raise ValueError(f"{artifact!r} has no local files (was the step skipped or failed?)")
    parts = [lp] if isinstance(lp, (str, Path)) else list(lp)
    paths = [Path(p) for p in parts]
    for p in paths:
        if not p.exists():
            raise FileNotFoundError(f"artifact files {str(p)!r} no longer exist")
    return paths


def catalog_of_artifact(artifact: Any, **kwargs: Any) -> List[Dict[str, Any]]:
    """The artifact's catalog in Dflow's form, ``[{"dflow_list_item": path, "order": n}]``
    (``[]`` for files saved without one)."""
    key = _remote_key(artifact)
    if key is not None:
        items = _remote_items(artifact, key, kwargs)
    else:
        items = [it for src in _local_parts(artifact) if src.is_dir()
                 for it in read_catalog(src) or []]
    return [{"dflow_list_item": it["path"], "order": _dflow_order(it["order"])}
            for it in items if it["path"] is not None]


def _dflow_order(order: Any) -> Any:
    return order[0] if isinstance(order, list) and len(order) == 1 else order


def _next_order(root: Path) -> int:
    """The order after the last item of the catalog at ``root`` (0 if none)."""
    orders = [_dflow_order(it["order"]) for it in (read_catalog(root) if root.is_dir() else None)
              or []]
    return 1 + max((o for o in orders if isinstance(o, int)), default=-1)


def copy_artifact(src: Any, dst: Any, sort: bool = False, **kwargs: Any
                  ) -> Union[LocalArtifact, "S3Artifact"]:
    """Copy an artifact's files into ``dst`` (a path or an artifact; server-side in S3);
    ``sort``: the copied items follow ``dst``'s own in the merged list (Dflow's ``sort``)."""
    key = _remote_key(src)
    if key is not None:
        return _copy_remote(key, dst, {**kwargs, "sort": sort})
    lp = getattr(dst, "local_path", dst)
    target = Path(lp if isinstance(lp, (str, Path)) else lp[0])
    parts = _local_parts(src)
    after = _next_order(target)
    for p in parts:
        items = read_catalog(p) if sort and p.is_dir() else None
        if items is None:
            copy_path(p, target / p.name if len(parts) > 1 else target)
            continue
        for it in items:
            if it["path"] is not None:
                copy_path(p / it["path"], target / it["path"])
        write_catalog(target, [dict(it, order=[after + i]) for i, it in enumerate(items)])
        after += len(items)
    return LocalArtifact(str(target))


# -- S3 mode ----------------------------------------------------------------------------------------

_CLIENT_KEYS = ("endpoint", "access_key", "secret_key", "secure", "bucket_name")


def _explicit_client(kwargs: Dict[str, Any]) -> Optional[StorageClient]:
    client = kwargs.pop("storage_client", None)
    return client_from_config(storage_client=client) if client is not None else None


def storage_for(kwargs: Dict[str, Any]) -> StorageClient:
    """The store for this call: ``storage_client=``, Dflow's per-call S3 keywords, or s3_config."""
    explicit = _explicit_client(kwargs)
    if explicit is not None:
        return explicit
    overrides = {k: kwargs.pop(k) for k in _CLIENT_KEYS if kwargs.get(k) is not None}
    return client_from_config(**overrides)


def _remote_key(artifact: Any) -> Optional[str]:
    """The S3 key of an artifact that has no local files (S3Artifact, Argo-shaped records)."""
    if isinstance(artifact, S3Artifact):
        return artifact.key if artifact.local_path is None else None
    if getattr(artifact, "local_path", None) is not None:
        return None
    s3 = artifact.get("s3") if isinstance(artifact, dict) else getattr(artifact, "s3", None)
    if s3 is None:
        return None
    key = s3.get("key") if isinstance(s3, dict) else getattr(s3, "key", None)
    return str(key) if key else None


def _plan(value: Any, cwd: Path) -> Tuple[List[Dict[str, Any]], List[Tuple[str, Path]]]:
    """Catalog items and (relative path, source) pairs, in the catalog's order (as save_output)."""
    return plan_items(value, cwd, what="upload_artifact:")


def _upload_remote(path: Any, archive: Optional[str], client: StorageClient) -> "S3Artifact":
    if archive == "default":
        archive = config.get("archive_mode", "tar")
    value = path if isinstance(path, (str, Path, dict, list, tuple, set)) else list(path)
    items, files = _plan(value, Path.cwd())
    name = "tmp" + uuid.uuid4().hex[:8]
    catalog = json.dumps({"items": items}).encode()
    catalog_name = f"{CATALOG_DIR}/{uuid.uuid4().hex}.json"
    base = f"{s3_config.get('prefix') or ''}upload/{uuid.uuid4()}"  # Dflow: prefix + key, verbatim
    with tempfile.TemporaryDirectory() as tmp:
        if archive in ("tar", "tgz", "default"):
            entries = [ArchiveEntry(f"{name}/{rel}", source=src) for rel, src in files]
            entries.append(ArchiveEntry(f"{name}/{catalog_name}", data=catalog))
            tgz = pack_tgz(entries, Path(tmp) / f"{name}.tgz")
            key = f"{base}/{name}.tgz"
            client.upload(key, str(tgz))
        elif archive in (None, "none"):
            key = f"{base}/{name}"
            for rel, src in files:
                upload_tree(client, src, f"{key}/{rel}")
            cat = Path(tmp) / "catalog.json"
            cat.write_bytes(catalog)
            client.upload(f"{key}/{catalog_name}", str(cat))
        else:
            raise ValueError(f"upload_artifact: archive must be 'tar', None or 'default', given {archive!r}")
    return S3Artifact(key=key, path_list=items, debug_s3=True)


def _fetch(client: StorageClient, key: str, stage: Path, extract: bool = True, sub: str = "") -> Path:
    """Download an artifact into ``stage``; returns its root (Argo's single-top-entry rule)
    narrowed to ``sub``. Links in an archive are checked against that root: it is what moves."""
    stage.mkdir(parents=True, exist_ok=True)
    parts = [p for p in sub.split("/") if p not in ("", ".", "..")]
    if key.endswith((".tgz", ".tar.gz")):
        tgz = stage.parent / (stage.name + ".tgz")
        client.download(key, str(tgz))
        if not extract:
            return tgz
        try:
            return extract_artifact(tgz, stage, "/".join(parts), label=f"the artifact {key!r}")
        finally:
            tgz.unlink()
    keys = client.list(key.rstrip("/") + "/", recursive=True)
    if keys:
        download_tree(client, key, stage)
    else:
        client.download(key, str(stage / key.rstrip("/").rsplit("/", 1)[-1]))
    return stage.joinpath(*parts)


def _catalog_items(root: Path, key: str) -> Optional[List[Dict[str, Any]]]:
    """The catalog of a downloaded artifact, whose item paths must stay inside it (it came from
    the artifact, and a slice moves the files it names)."""
    cat = root / CATALOG_DIR
    if cat.is_dir() and any(f.is_file() and f.stat().st_size > MAX_MEMBER_READ for f in cat.iterdir()):
        raise UnsafeArchiveError(f"the catalog of the artifact {key!r} is larger than "
                                 f"{MAX_MEMBER_READ >> 20} MiB; refusing to read it")
    items = read_catalog(root)
    for it in items or []:
        rel = it.get("path")
        if rel is not None and (not isinstance(rel, str) or rel.startswith("/") or "\0" in rel
                                or ".." in rel.split("/")):
            raise UnsafeArchiveError(f"the catalog of the artifact {key!r} lists the path {rel!r}, "
                                     f"which is not inside the artifact; refusing")
    return items


def _merge(src: Path, dst: Path, skip_exists: bool) -> None:
    if src.is_dir() and not src.is_symlink() and dst.is_dir() and not dst.is_symlink():
        for child in src.iterdir():
            _merge(child, dst / child.name, skip_exists)
        return
    if dst.exists() or dst.is_symlink():
        if skip_exists:
            return
        if dst.is_dir() and not dst.is_symlink():
            shutil.rmtree(dst)
        else:
            dst.unlink()
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(src), str(dst))


def _select(items: List[Dict[str, Any]], index: Any) -> List[Dict[str, Any]]:
    if index is None:
        return items
    wanted = index if isinstance(index, list) else [index]
    for i in wanted:
        if not 0 <= int(i) < len(items):
            raise IndexError(f"slice {i} is out of range: the artifact has {len(items)} items")
    return [items[int(i)] for i in wanted]


def _download_remote(artifact: Any, key: str, dest: Path, skip_exists: bool,
                     kwargs: Dict[str, Any]) -> List[str]:
    client = storage_for(kwargs)
    extract = kwargs.get("extract", True)
    remove_catalog = kwargs.get("remove_catalog", True)
    index = kwargs.get("slice", getattr(artifact, "slice", None))
    sub = "/".join(p for p in (getattr(artifact, "subpath", None), kwargs.get("sub_path")) if p)
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest, prefix=".dflow-download-") as tmp:
        root = _fetch(client, key, Path(tmp) / "x", extract, sub)
        if not extract and root.is_file():  # the archive itself
            target = dest / key.rsplit("/", 1)[-1]
            _merge(root, target, skip_exists)
            return [str(target)]
        if sub:
            if not (root.exists() or root.is_symlink()):
                raise KeyNotFound(f"the artifact {key!r} has no {sub!r}")
            if not root.is_dir():
                target = dest / root.name
                _merge(root, target, skip_exists)
                return [str(target)]
        items = _catalog_items(root, key)
        if items is not None and index is not None:
            out = []
            for it in _select(items, index):
                if it["path"] is not None:
                    _merge(root / it["path"], dest / it["path"], skip_exists)
                    out.append(str(dest / it["path"]))
            return out
        if remove_catalog:
            shutil.rmtree(root / CATALOG_DIR, ignore_errors=True)
        placed = sorted(p.name for p in root.iterdir())
        for name in placed:
            _merge(root / name, dest / name, skip_exists)
    if items is None:
        return [str(dest / n) for n in placed if n != CATALOG_DIR]
    return [str(dest / it["path"]) for it in items if it["path"] is not None]


def _parse_catalog(text: str) -> List[Dict[str, Any]]:
    """Our ``{"items": [...]}``, or Dflow's ``{"path_list": [{"dflow_list_item", "order"}]}``
    (Dflow names its catalog files ``.dflow/<uuid>``, without ``.json``)."""
    try:
        data = json.loads(text)
    except ValueError:
        return []
    if not isinstance(data, dict):
        return []
    if "items" in data:
        return list(data["items"])
    out = []
    for it in data.get("path_list", []):
        order = it.get("order")
        out.append({"path": it.get("dflow_list_item"),
                    "order": order if isinstance(order, list) else [order]})
    return out


def _remote_items(artifact: Any, key: str, kwargs: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The artifact's catalog items in order: from the upload's ``path_list`` or from S3."""
    index = kwargs.get("slice", getattr(artifact, "slice", None))
    cached = getattr(artifact, "path_list", None)
    if cached and not getattr(artifact, "subpath", None) and all(isinstance(it, dict) for it in cached):
        items = [it if "path" in it else _parse_catalog(json.dumps({"path_list": [it]}))[0]
                 for it in cached]
    else:
        items = _fetch_catalog(storage_for(kwargs), key, getattr(artifact, "subpath", None))
    items.sort(key=lambda it: it["order"] if isinstance(it["order"], list) else [it["order"]])
    return _select(items, index)


def _fetch_catalog(client: StorageClient, key: str, subpath: Optional[str]) -> List[Dict[str, Any]]:
    items: List[Dict[str, Any]] = []
    if key.endswith((".tgz", ".tar.gz")):
        with tempfile.TemporaryDirectory() as tmp:
            tgz = Path(tmp) / "a.tgz"
            client.download(key, str(tgz))
            members = read_members(tgz, lambda n: f"{CATALOG_DIR}/" in n,
                                   label=f"the artifact {key!r}")
            want = [p for p in (subpath or "").split("/") if p] + [CATALOG_DIR]
            for n, data in members:
                dirs = n.split("/")[:-1]
                if dirs == want or dirs[1:] == want:  # with or without the archive's top dir
                    items.extend(_parse_catalog(data.decode()))
        return items
    prefix = join_key(key, subpath or "", CATALOG_DIR) + "/"
    with tempfile.TemporaryDirectory() as tmp:
        for i, k in enumerate(client.list(prefix, recursive=True)):
            f = os.path.join(tmp, f"{i}.json")
            client.download(k, f)
            items.extend(_parse_catalog(Path(f).read_text()))
    return items


def _shape(items: List[Dict[str, Any]]) -> Any:
    if not any("key" in it for it in items):
        return [it["path"] for it in items]
    result: Dict[str, Any] = {}
    for it in items:
        key = it["key"]
        if isinstance(key, list):
            node = result
            for k in key[:-1]:
                node = node.setdefault(k, {})
            node[key[-1]] = it["path"]
        else:
            result[str(key)] = it["path"]
    return result


def _copy_remote(src_key: str, dst: Any, kwargs: Dict[str, Any]) -> "S3Artifact":
    if kwargs.get("sort"):
        raise NotImplementedError("copy_artifact(sort=True) is not supported for artifacts in S3 yet")
    client = storage_for(kwargs)
    dst_key = _remote_key(dst) if not isinstance(dst, (str, Path)) else str(dst)
    if not dst_key:
        raise ValueError(f"copy_artifact: {dst!r} names no S3 key")
    src_prefix = src_key.rstrip("/") + "/"
    keys = [] if src_key.endswith((".tgz", ".tar.gz")) else client.list(src_prefix, recursive=True)
    if not keys:
        client.copy(src_key, dst_key)
    else:
        for k in keys:
            client.copy(k, dst_key.rstrip("/") + "/" + k[len(src_prefix):])
    return S3Artifact(key=dst_key, debug_s3=True)


def fetch_artifact(artifact: Any, dest: PathLike, **kwargs: Any) -> Path:
    """Make an S3 artifact a local directory ``dest`` with its catalog (for engines and OPs)."""
    key = _remote_key(artifact)
    if key is None:
        raise ValueError(f"{artifact!r} is not an artifact in S3")
    _download_remote(artifact, key, Path(dest), False, {**kwargs, "remove_catalog": False})
    return Path(dest)


__all__ = ["LocalArtifact", "S3Artifact", "upload_artifact", "download_artifact",
           "path_list_of_artifact", "path_object_of_artifact", "copy_artifact", "fetch_artifact",
           "catalog_of_artifact", "storage_for"]
