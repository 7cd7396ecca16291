"""The package build's JupyterLab-extension step (hatch-jupyter-builder's ``build-function``).

Wheels and sdists build ``labextension/`` into ``dflow_nb/labextension/`` with
hatch-jupyter-builder's ``npm_builder``, as JupyterLab's extension template does. An editable
install (README command 1, ``pip install -e .``) skips that build, which takes ~30 s and needs
Node, unless asked with ``DFLOW_NB_BUILD_LABEXTENSION=1``; an extension built earlier is still
installed. Lives outside the package: the build environment imports it without dflow_nb's
dependencies (hatch-jupyter-builder puts the project root on ``sys.path`` to find it).
"""
from __future__ import annotations

import logging
import os
from typing import Any

from hatch_jupyter_builder import npm_builder

ASK = "DFLOW_NB_BUILD_LABEXTENSION"


def build(target_name: str, version: str, **kwargs: Any) -> None:
    """Build the labextension for ``target_name`` ("wheel" or "sdist"), ``version``
    ("standard" or "editable"); ``kwargs`` are npm_builder's (pyproject's build-kwargs)."""
    if version == "editable" and os.environ.get(ASK) != "1":
        logging.getLogger(__name__).info(
            "editable install: the JupyterLab extension is not built (set %s=1 to build it)", ASK)
        return
    npm_builder(target_name, version, **kwargs)
