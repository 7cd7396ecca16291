"""Dflow's datasets plug-in (``DatasetsArtifact``): Bohrium's launching datasets and models,
mounted with rclone (``launching+datasets://name@version`` URNs). It imports here; using it
says what it needs."""
from __future__ import annotations

from typing import Any, Dict

from dflow_nb.plugins._unavailable import unavailable_class
from dflow_nb.plugins.dispatcher import DispatcherArtifact

#: Dflow's datasets settings; kept so scripts that set them still load.
config: Dict[str, Any] = {
    "rclone_image": "rclone/rclone:1.62.2", "rclone_image_pull_policy": None,
    "rclone_type": "ftp", "ftp_host": None, "webdav_host": None, "user": None,
    "password": None,
}

DatasetsArtifact = unavailable_class(
    "DatasetsArtifact", "Bohrium's datasets service (an rclone mount of its FTP/WebDAV host)",
    (DispatcherArtifact,))

__all__ = ["DatasetsArtifact", "config"]
