"""dflow_nb: Dflow, notebook-first. A Dflow script runs after ``s/dflow/dflow_nb/``."""
from typing import TYPE_CHECKING, Any, List

from dflow_nb.config import config, s3_config, set_config, set_s3_config
from dflow_nb.errors import DflowNbError, StepNotFound, ValidationError, WorkflowNotFound
from dflow_nb.hub.codegen import gen_code
from dflow_nb.hub.records import ArtifactRecord, ParameterRecord, StepRecord, WorkflowRecord
from dflow_nb.hub.workflow import Workflow, query_archived_workflows, query_workflows
from dflow_nb.hub.workflow_templates import register_workflow_template, unregister_workflow_templates
from dflow_nb.model.dag import DAG
from dflow_nb.model.executor import Context, Executor
from dflow_nb.model.io import (
    AutonamedDict,
    InputArtifact,
    InputParameter,
    Inputs,
    OutputArtifact,
    OutputParameter,
    Outputs,
)
from dflow_nb.model.names import randstr
from dflow_nb.model.references import (
    ArgoVar,
    IfExpression,
    argo_concat,
    argo_enumerate,
    argo_len,
    argo_range,
    argo_sequence,
    argo_sum,
    if_expression,
)
from dflow_nb.model.secrets import DockerSecret, Secret
from dflow_nb.model.step import HookStep, Step, Task
from dflow_nb.model.steps import Steps
from dflow_nb.model.templates import (
    ContainerOPTemplate,
    HTTPOPTemplate,
    OPTemplate,
    PythonScriptOPTemplate,
    Resource,
    ResourceOPTemplate,
    ScriptOPTemplate,
    ShellOPTemplate,
)

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from dflow_nb.hub.artifacts import (
        LocalArtifact,
        S3Artifact,
        catalog_of_artifact,
        copy_artifact,
        download_artifact,
        fetch_artifact,
        path_list_of_artifact,
        path_object_of_artifact,
        upload_artifact,
    )
    from dflow_nb.hub.external_artifacts import CustomArtifact, HTTPArtifact
    from dflow_nb.hub.objects import copy_s3, download_s3, upload_s3
    from dflow_nb.plugins.container import ContainerExecutor
    from dflow_nb.plugins.remote import RemoteExecutor
    from dflow_nb.plugins.slurm import SlurmJob, SlurmJobTemplate, SlurmRemoteExecutor
    from dflow_nb.python.record import record
    from dflow_nb.storage import StorageClient

#: Imported on first use (``dflow_nb.ContainerExecutor``, ``from dflow_nb import upload_artifact``),
#: so ``import dflow_nb`` loads neither the executors (dflow_nb.plugins, above the authoring model
#: and the hub) nor artifact storage (tar, archives, the OP catalog), which a run does not need.
_LAZY_EXPORTS = {
    **dict.fromkeys(("LocalArtifact", "S3Artifact", "catalog_of_artifact", "copy_artifact",
                     "download_artifact", "fetch_artifact", "path_list_of_artifact",
                     "path_object_of_artifact", "upload_artifact"), "dflow_nb.hub.artifacts"),
    **dict.fromkeys(("CustomArtifact", "HTTPArtifact"), "dflow_nb.hub.external_artifacts"),
    **dict.fromkeys(("copy_s3", "download_s3", "upload_s3"), "dflow_nb.hub.objects"),
    "record": "dflow_nb.python.record",
    "StorageClient": "dflow_nb.storage",
    "ContainerExecutor": "dflow_nb.plugins.container",
    "RemoteExecutor": "dflow_nb.plugins.remote",
    "SlurmJob": "dflow_nb.plugins.slurm",
    "SlurmJobTemplate": "dflow_nb.plugins.slurm",
    "SlurmRemoteExecutor": "dflow_nb.plugins.slurm",
}


def __getattr__(name: str) -> Any:
    """``dflow_nb.ContainerExecutor`` and the other lazy exports, imported on first use."""
    import importlib
    module = _LAZY_EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dflow_nb' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> List[str]:
    return sorted(set(globals()) | set(_LAZY_EXPORTS))


def load_ipython_extension(ipython: "InteractiveShell") -> None:
    """``%load_ext dflow_nb``: registers the ``%dflow`` / ``%%dflow`` magics."""
    from dflow_nb.notebook.magics import load_ipython_extension as load
    load(ipython)


ArgoStep = StepRecord
ArgoWorkflow = WorkflowRecord

__version__ = "0.1.0"

__all__ = [
    "ArgoStep", "ArgoVar", "ArgoWorkflow", "ArtifactRecord", "AutonamedDict",
    "ContainerExecutor", "ContainerOPTemplate", "Context", "CustomArtifact", "DAG",
    "DockerSecret", "Executor", "HTTPArtifact", "HTTPOPTemplate", "HookStep", "RemoteExecutor",
    "Resource", "ResourceOPTemplate", "Secret", "StorageClient",
    "fetch_artifact", "DflowNbError", "IfExpression", "InputArtifact",
    "InputParameter", "Inputs", "LocalArtifact", "OPTemplate", "OutputArtifact",
    "OutputParameter", "Outputs", "ParameterRecord", "PythonScriptOPTemplate", "S3Artifact",
    "ScriptOPTemplate", "ShellOPTemplate", "Step", "StepNotFound", "StepRecord", "Steps", "Task",
    "ValidationError", "Workflow", "WorkflowNotFound", "WorkflowRecord", "argo_concat",
    "argo_enumerate", "argo_len", "argo_range", "argo_sequence", "argo_sum",
    "catalog_of_artifact", "config", "copy_artifact", "copy_s3", "download_artifact",
    "download_s3", "gen_code", "if_expression", "path_list_of_artifact",
    "path_object_of_artifact", "query_archived_workflows", "query_workflows", "randstr",
    "record", "register_workflow_template", "s3_config", "set_config", "set_s3_config",
    "unregister_workflow_templates", "upload_artifact", "upload_s3",
    "SlurmJob", "SlurmJobTemplate", "SlurmRemoteExecutor",
]
