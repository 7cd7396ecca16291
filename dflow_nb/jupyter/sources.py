"""Where the sidebar's runs come from: every local work directory under the server's root
(found by its state database, ``.dflow_nb/`` folders included), the configured default one,
and the configured Argo server. A run is addressed by ``(source, id)``; the source is a name
the server made (``local:<folder relative to the root>`` or ``argo``), so a request can never
point the server at a folder outside its root.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from dflow_nb.config import STATE_DB, config
from dflow_nb.hub.backend import backend_for
from dflow_nb.hub.records import WorkflowRecord
from dflow_nb.hub.workflow import Workflow

SKIP = {".git", "node_modules", "__pycache__", ".ipynb_checkpoints", ".venv", "venv",
        ".venv-test", "site-packages", ".tox", ".mypy_cache", ".pytest_cache"}
ARGO = "argo"
RESCAN = 5.0   # seconds a walk of the root for work directories is reused


class UnknownSource(LookupError):
    """A source name that is not one of the server's (the message says which exist)."""


@dataclass
class Source:
    """One place runs are read from."""

    name: str
    kind: str                        # "local" | "argo"
    workdir: Optional[Path] = None   # local: the work directory (holds the state database)
    shown: str = ""                  # local: the folder relative to the server root
    host: str = ""                   # argo: the server's address

    def workflow(self, wf_id: str) -> Workflow:
        """The run ``wf_id`` here, read through ``Workflow`` on this source's backend."""
        if self.kind == "local":
            wf = Workflow(id=wf_id, workdir=self.workdir)
            wf._backend = backend_for(True, Path(self.workdir or "."))
        else:
            wf = Workflow(id=wf_id, host=self.host)
            wf._backend = backend_for(False, Path("."), host=self.host, token=config["token"],
                                      namespace=config["namespace"])
        return wf

    def list(self) -> List[WorkflowRecord]:
        """The runs this source knows, newest first."""
        if self.kind == "local":
            return backend_for(True, Path(self.workdir or ".")).list()
        return backend_for(False, Path("."), host=self.host, token=config["token"],
                           namespace=config["namespace"]).list()

    def describe(self) -> Dict[str, object]:
        out: Dict[str, object] = {"source": self.name, "kind": self.kind}
        if self.kind == "local":
            out["workdir"] = self.shown
        else:
            out["host"] = self.host
        return out


def _shown(root: Path, path: Path) -> str:
    try:
        rel = path.relative_to(root)
    except ValueError:
        return str(path)
    return "." if str(rel) == "." else rel.as_posix()


def local_source(root: Path, workdir: Path) -> Source:
    shown = _shown(root, workdir)
    return Source(f"local:{shown}", "local", workdir, shown)


def find_workdirs(root: Path, depth: int = 4) -> List[Path]:
    """Folders under ``root`` (itself included) holding a state database, nearest first;
    hidden folders are skipped except ``.dflow_nb``, as are VCS, virtualenv and cache folders."""
    found: List[Path] = []
    root = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        level = len(here.relative_to(root).parts)
        if STATE_DB in filenames:
            found.append(here)
        if level >= depth:
            dirnames[:] = []
            continue
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP
                             and (not d.startswith(".") or d == ".dflow_nb")
                             and not (here / d).is_symlink())
    return found


class Sources:
    """The server's sources: discovered local work directories, the default one, Argo."""

    def __init__(self, root: Path, default: Path, argo_host: str = "", depth: int = 4) -> None:
        self.root = root.resolve()
        self.default = local_source(self.root, default.resolve())
        self.argo_host = argo_host
        self.depth = depth
        self._found: Tuple[float, List[Path]] = (0.0, [])

    def workdirs(self) -> List[Path]:
        """The work directories under the root, looked for at most every ``RESCAN`` seconds
        (a sidebar refreshing its list does not walk the tree each time)."""
        at, found = self._found
        if time.monotonic() - at > RESCAN:
            found = find_workdirs(self.root, self.depth)
            self._found = (time.monotonic(), found)
        return found

    def all(self, scope: str = "all") -> List[Source]:
        """Every source (``scope="default"``: the default work directory only)."""
        if scope == "default":
            return [self.default]
        out = [self.default]
        seen = {self.default.workdir}
        for d in self.workdirs():
            if d not in seen:
                seen.add(d)
                out.append(local_source(self.root, d))
        if self.argo_host:
            out.append(Source(ARGO, "argo", host=self.argo_host))
        return out

    def get(self, name: Optional[str]) -> Source:
        """The source a request names (none: the default work directory)."""
        if not name or name == self.default.name:
            return self.default
        if name == ARGO:
            if not self.argo_host:
                raise UnknownSource("no Argo server is configured (c.DflowNbServer.argo_host "
                                    "or dflow_nb's config['host'])")
            return Source(ARGO, "argo", host=self.argo_host)
        if name.startswith("local:"):
            rel = name[len("local:"):]
            path = (self.root / rel).resolve()
            if (path == self.root or self.root in path.parents) and (path / STATE_DB).is_file():
                return local_source(self.root, path)
        raise UnknownSource(f"no source {name!r}: it is not a work directory under "
                            f"{self.root} holding runs")
