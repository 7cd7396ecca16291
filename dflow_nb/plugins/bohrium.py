"""Dflow's Bohrium plug-in: jobs, contexts, storage (Tiefblue) and datasets of DP Technology's
Bohrium cloud. Its names import, so a Dflow script loads; using one says what it needs.
(To run steps on Bohrium machines through DPDispatcher, ``DispatcherExecutor`` with a
``machine_dict`` of ``batch_type: "Bohrium"`` needs no plug-in.)"""
from __future__ import annotations

from typing import Any, Dict

from dflow_nb.model.executor import Context, Executor
from dflow_nb.plugins._unavailable import unavailable_class, unavailable_function
from dflow_nb.plugins.dispatcher import DispatcherArtifact

NEEDS = "a Bohrium account and its cloud API (bohrium.dp.tech)"

#: Dflow's Bohrium settings; kept so scripts that set them still load.
config: Dict[str, Any] = {
    "bohrium_url": "https://bohrium.dp.tech", "username": None, "phone": None,
    "password": None, "authorization": None, "project_id": None,
    "tiefblue_url": "https://tiefblue.dp.tech", "ticket": None, "upload_progress": False,
    "access_key": None, "openapi_url": "https://openapi.dp.tech", "app_key": None,
}

login = unavailable_function("login", NEEDS)
create_job_group = unavailable_function("create_job_group", NEEDS)
BohriumExecutor = unavailable_class("BohriumExecutor", NEEDS, (Executor,))
BohriumContext = unavailable_class("BohriumContext", NEEDS, (Context,))
TiefblueClient = unavailable_class("TiefblueClient", "Bohrium's Tiefblue storage service")
BohriumDatasetsArtifact = unavailable_class("BohriumDatasetsArtifact", "Bohrium's datasets "
                                            "service", (DispatcherArtifact,))

__all__ = ["BohriumContext", "BohriumDatasetsArtifact", "BohriumExecutor", "TiefblueClient",
           "config", "create_job_group", "login"]
