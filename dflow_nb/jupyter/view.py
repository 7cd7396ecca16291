"""One run's view for the sidebar panel: the notebook bundle's shape plus the timeline."""
from __future__ import annotations

from typing import Any, Dict

from dflow_nb.hub.workflow import Workflow
from dflow_nb.jupyter.runs import RunCache
from dflow_nb.jupyter.sources import Source
from dflow_nb.notebook.display import MIME, bundle_from
from dflow_nb.notebook.viewdata import timeline


def run_view(src: Source, wf: Workflow, cache: RunCache) -> Dict[str, Any]:
    """The run's view from the cached model (only what changed since is read)."""
    record, model = cache.read(src, wf)
    body: Dict[str, Any] = bundle_from(record, model, backend=src.kind, source=src.name,
                                       workdir=src.shown or None,
                                       path=str(src.workdir) if src.workdir else None)[MIME]
    body["timeline"] = timeline(model)
    return body
