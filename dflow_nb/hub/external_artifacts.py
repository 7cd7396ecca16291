"""Artifacts that live outside the artifact store: a URL (``HTTPArtifact``) or anything a
user's own class can fetch by URN (``CustomArtifact``), as in Dflow.

Both work wherever a step takes an artifact. On Argo an HTTPArtifact is Argo's ``http``
artifact (the pod fetches it); the local engine fetches it once into the work directory's
upload area (``local_path``) and hands it to steps like any uploaded artifact.
"""
from __future__ import annotations

import abc
import hashlib
import importlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Dict
from urllib.parse import urlsplit

from dflow_nb.config import config, work_directory
from dflow_nb.errors import DflowNbError
from dflow_nb.storage import extract_as_artifact


def _file_name(name: str, default: str) -> str:
    """A name to store a download under: never empty, ``.`` or ``..``."""
    return name if name not in ("", ".", "..") else default


def _cache_dir(kind: str, ident: str) -> Path:
    digest = hashlib.sha1(ident.encode()).hexdigest()[:16]
    return work_directory().resolve() / "upload" / kind / digest


class HTTPArtifact:
    """A file at an HTTP(S) URL used as an input artifact (``artifacts={"x": HTTPArtifact(url)}``).
    A ``.tgz``/``.tar.gz`` is unpacked safely, as Argo does."""

    def __init__(self, url: str) -> None:
        scheme = urlsplit(url).scheme
        if scheme not in ("http", "https"):
            raise ValueError(f"HTTPArtifact takes an http(s) URL, given {url!r}")
        self.url = url

    @property
    def argo_location(self) -> Dict[str, Any]:
        return {"http": {"url": self.url}}

    @property
    def name(self) -> str:
        return _file_name(os.path.basename(urlsplit(self.url).path), "download")

    def download(self, path: str = ".") -> str:
        """Fetch the URL into ``path`` under the URL's file name; returns the file's path."""
        import httpx
        target = Path(path) / self.name
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".download-")
        try:
            with os.fdopen(fd, "wb") as out, httpx.stream("GET", self.url,
                                                         follow_redirects=True) as resp:
                if resp.status_code >= 400:
                    raise DflowNbError(f"HTTPArtifact {self.url}: the server answered "
                                       f"{resp.status_code} {resp.reason_phrase}")
                for chunk in resp.iter_bytes():
                    out.write(chunk)
            os.replace(tmp, target)
        except httpx.HTTPError as exc:
            raise DflowNbError(f"HTTPArtifact {self.url}: {exc}") from None
        finally:
            Path(tmp).unlink(missing_ok=True)
        return str(target)

    @property
    def local_path(self) -> str:
        """The fetched file (an archive: what it unpacks to), fetched on first use."""
        root = _cache_dir("http", self.url)
        marker = root / ".complete"
        if not marker.exists():
            shutil.rmtree(root, ignore_errors=True)
            got = Path(self.download(str(root / ".fetch")))
            name = got.name
            for suffix in (".tgz", ".tar.gz"):
                if name.endswith(suffix):
                    name = name[:-len(suffix)] or "content"
                    extract_as_artifact(got, root / name)
                    break
            else:
                os.replace(got, root / name)
            shutil.rmtree(root / ".fetch", ignore_errors=True)
            marker.write_text(name)
        return str(root / marker.read_text())

    def __repr__(self) -> str:
        return f"HTTPArtifact({self.url!r})"


class CustomArtifact(abc.ABC):
    """An artifact a user's class knows how to fetch, named by a URN (``proto://...``).

    Subclass it with ``get_urn()`` and ``download(name, path)``; register the class for
    ``from_urn`` in ``config["artifact_register"]`` (``{"proto": "module.Class"}``). The local
    engine calls ``download`` once and hands the files to steps. On Argo, steps would fetch
    it inside the pod, which dflow_nb's compiler does not do: it says so at compile time.
    """

    redirect: Any = None

    @abc.abstractmethod
    def get_urn(self) -> str:
        """The URN that names this artifact."""

    @abc.abstractmethod
    def download(self, name: str, path: str) -> None:
        """Put the artifact's files at ``path`` (``name``: the input it is for)."""

    def render(self, template: Any, name: str) -> Any:
        """A template adapted to take this artifact as input ``name`` (unchanged by default)."""
        return template

    @staticmethod
    def from_urn(urn: str) -> "CustomArtifact":
        """The artifact of a URN, built by the class registered for its protocol."""
        protocol = urn.split("://", 1)[0]
        path = (config.get("artifact_register") or {}).get(protocol)
        if path is None:
            raise DflowNbError(f"no artifact class is registered for {protocol!r} URNs: set "
                               f"config['artifact_register'][{protocol!r}] = 'module.Class'")
        module, _, cls = str(path).rpartition(".")
        made: CustomArtifact = getattr(importlib.import_module(module), cls).from_urn(urn)
        return made

    @property
    def local_path(self) -> str:
        """The artifact's files, fetched with ``download`` on first use."""
        urn = self.get_urn()
        root = _cache_dir("custom", urn)
        target = root / _file_name(urn.rstrip("/").rsplit("/", 1)[-1].replace(":", "_"),
                                   "artifact")
        if not (root / ".complete").exists():
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir(parents=True)
            self.download(target.name, str(target))
            (root / ".complete").touch()
        return str(target)

    def __repr__(self) -> str:
        return self.get_urn()


__all__ = ["CustomArtifact", "HTTPArtifact"]
