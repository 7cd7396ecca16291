"""Artifacts users hand to workflows and get back: ``upload_artifact`` / ``download_artifact``.

On the local engine an uploaded artifact is a directory in the work directory's artifact store
(files copied, with a catalog so lists keep their order); downloading copies a step's output
files where the user wants them.
"""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, Iterable, List, Optional, Union

from .catalog import copy_path, load_input, read_catalog, save_output
from .config import config

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
    """An artifact in the S3 artifact repository, by key (used by Argo and S3 storage)."""

    def __init__(self, key: Optional[str] = None, path_list: Optional[List[str]] = None,
                 urn: str = "", debug_s3: bool = False, *args: Any, **kwargs: Any) -> None:
        self.key = key
        self.path_list = path_list or []
        self.urn = urn
        self.extra = kwargs

    @property
    def local_path(self) -> Optional[str]:
        """Outside S3 mode the key is a local path, as in Dflow's debug mode."""
        return self.key

    def __repr__(self) -> str:
        return f"S3Artifact(key={self.key!r})"


def _store_root() -> Path:
    return Path(config["debug_workdir"]).resolve() / "upload"


def upload_artifact(path: Union[PathLike, Iterable[PathLike]], archive: str = "default",
                    namespace: Optional[str] = None, dataset_name: Optional[str] = None,
                    **kwargs: Any) -> LocalArtifact:
    """Snapshot files (or a list of them) so later edits do not change what a step reads."""
    root = _store_root() / uuid.uuid4().hex[:12]
    value: Any = path if isinstance(path, (str, Path)) else list(path)
    for p in (value if isinstance(value, list) else [value]):
        if not Path(p).exists():
            raise FileNotFoundError(f"upload_artifact: {str(p)!r} does not exist")
    save_output(value, root, Path.cwd())
    return LocalArtifact(str(root))


def download_artifact(artifact: Any, path: PathLike = ".", skip_exists: bool = False,
                      **kwargs: Any) -> List[str]:
    """Copy an artifact's files under ``path``; returns the downloaded paths in list order."""
    dest = Path(path)
    dest.mkdir(parents=True, exist_ok=True)
    sources = _local_parts(artifact)
    out: List[str] = []
    for src in sources:
        items = read_catalog(src) if src.is_dir() else None
        if items is None:
            target = dest / src.name
            if not (skip_exists and target.exists()):
                copy_path(src, target)
            out.append(str(target))
            continue
        for it in items:
            if it["path"] is None:
                continue
            target = dest / it["path"]
            if not (skip_exists and target.exists()):
                copy_path(src / it["path"], target)
            out.append(str(target))
    return out


def path_list_of_artifact(artifact: Any) -> List[str]:
    """The relative paths an artifact lists, in order."""
    out: List[str] = []
    for src in _local_parts(artifact):
        items = read_catalog(src) if src.is_dir() else None
        out.extend(it["path"] for it in items or [] if it["path"] is not None)
    return out


def path_object_of_artifact(artifact: Any, tp: Any = List[Path]) -> Any:
    """The value an OP would see for this artifact (a path, a list or a dict of paths)."""
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


def copy_artifact(src: Any, dst: PathLike) -> LocalArtifact:
    """A copy of an artifact's files as a new artifact."""
    target = Path(dst)
    for p in _local_parts(src):
        copy_path(p, target / p.name if len(_local_parts(src)) > 1 else target)
    return LocalArtifact(str(target))


__all__ = ["LocalArtifact", "S3Artifact", "upload_artifact", "download_artifact",
           "path_list_of_artifact", "path_object_of_artifact", "copy_artifact"]
