"""The Jupyter server extension behind the JupyterLab sidebar: runs under ``/dflow-nb/api/``.

Enabled by ``jupyter-config/server-config/dflow_nb.json`` (installed into
``etc/jupyter/jupyter_server_config.d``). The work directory whose runs it lists is
``c.DflowNbServer.workdir``, else ``$DFLOW_NB_WORKDIR``, else the server's root directory.
"""
from __future__ import annotations

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
    setup_handlers(serverapp.web_app, settings.resolve_workdir(serverapp.root_dir))
    serverapp.log.info("dflow_nb server extension: runs of %s under /dflow-nb/api/",
                       settings.resolve_workdir(serverapp.root_dir))
