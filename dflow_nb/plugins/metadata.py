"""Dflow's metadata plug-in (``MetadataClient``): lineage of workflows and artifacts recorded
in Bohrium's metadata service (``config["lineage"] = MetadataClient(...)``). It imports
here; using it says what it needs."""
from __future__ import annotations

from dflow_nb.plugins._unavailable import unavailable_class

MetadataClient = unavailable_class(
    "MetadataClient", "Bohrium's metadata (lineage) service and its dp-metadata SDK")

__all__ = ["MetadataClient"]
