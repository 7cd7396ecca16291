"""The Jupyter server extension behind the JupyterLab sidebar: runs under ``/dflow-nb/api/``.

Enabled by ``jupyter-config/server-config/dflow_nb.json`` (installed into
``etc/jupyter/jupyter_server_config.d``). It lists the runs of the default work directory
(``c.DflowNbServer.workdir``, else ``$DFLOW_NB_WORKDIR``, else the server root's), of every work
directory under the server's root, and of the Argo server ``c.DflowNbServer.argo_host`` (else
dflow_nb's ``config["host"]``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

from dflow_nb.jupyter.handlers import DflowNbServer, setup_handlers

__all__ = ["DflowNbServer", "setup_handlers"]


def _jupyter_server_extension_points() -> List[Dict[str, str]]:
    return [{"module": "dflow_nb.jupyter"}]


def _jupyter_labextension_paths() -> List[Dict[str, str]]:
    return [{"src": "../labextension", "dest": "dflow-nb"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Register the handlers on a running Jupyter server."""
    settings = DflowNbServer(parent=serverapp)
    sources = settings.sources(serverapp.root_dir)
    setup_handlers(serverapp.web_app, sources.default.workdir or Path("."), sources)
    serverapp.log.info("dflow_nb server extension: runs of %s (and work directories under %s%s) "
                       "under /dflow-nb/api/", sources.default.workdir, sources.root,
                       f", Argo at {sources.argo_host}" if sources.argo_host else "")
