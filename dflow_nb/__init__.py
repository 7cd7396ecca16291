"""dflow_nb: Dflow, notebook-first. A Dflow script runs after ``s/dflow/dflow_nb/``."""
from typing import TYPE_CHECKING

from dflow_nb._lazy import lazy_exports
from dflow_nb.config import config, s3_config, set_config, set_s3_config

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from dflow_nb.errors import DflowNbError, StepNotFound, ValidationError, WorkflowNotFound
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
    from dflow_nb.hub.codegen import gen_code
    from dflow_nb.hub.external_artifacts import CustomArtifact, HTTPArtifact
    from dflow_nb.hub.objects import copy_s3, download_s3, upload_s3
    from dflow_nb.hub.records import ArtifactRecord, ParameterRecord, StepRecord, WorkflowRecord
    from dflow_nb.hub.workflow import Workflow, query_archived_workflows, query_workflows
    from dflow_nb.hub.workflow_templates import (
        register_workflow_template,
        unregister_workflow_templates,
    )
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
    from dflow_nb.plugins.container import ContainerExecutor
    from dflow_nb.plugins.remote import RemoteExecutor
    from dflow_nb.plugins.slurm import SlurmJob, SlurmJobTemplate, SlurmRemoteExecutor
    from dflow_nb.python.record import record
    from dflow_nb.storage import StorageClient

    ArgoStep = StepRecord
    ArgoWorkflow = WorkflowRecord

#: Every public name but the config's is imported on first use (``dflow_nb.Workflow``,
#: ``from dflow_nb import Step``): ``import dflow_nb`` loads nothing else, so a process that
#: needs a part (a warm worker runs OPs: no workflow model, no hub, no executor, no artifact
#: storage) pays for that part only.
_EXPORTS = {
    "dflow_nb.errors": "DflowNbError StepNotFound ValidationError WorkflowNotFound",
    "dflow_nb.hub.artifacts": "LocalArtifact S3Artifact catalog_of_artifact copy_artifact "
                              "download_artifact fetch_artifact path_list_of_artifact "
                              "path_object_of_artifact upload_artifact",
    "dflow_nb.hub.codegen": "gen_code",
    "dflow_nb.hub.external_artifacts": "CustomArtifact HTTPArtifact",
    "dflow_nb.hub.objects": "copy_s3 download_s3 upload_s3",
    "dflow_nb.hub.records": "ArtifactRecord ParameterRecord StepRecord WorkflowRecord",
    "dflow_nb.hub.workflow": "Workflow query_archived_workflows query_workflows",
    "dflow_nb.hub.workflow_templates": "register_workflow_template "
                                       "unregister_workflow_templates",
    "dflow_nb.model.dag": "DAG",
    "dflow_nb.model.executor": "Context Executor",
    "dflow_nb.model.io": "AutonamedDict InputArtifact InputParameter Inputs OutputArtifact "
                         "OutputParameter Outputs",
    "dflow_nb.model.names": "randstr",
    "dflow_nb.model.references": "ArgoVar IfExpression argo_concat argo_enumerate argo_len "
                                 "argo_range argo_sequence argo_sum if_expression",
    "dflow_nb.model.secrets": "DockerSecret Secret",
    "dflow_nb.model.step": "HookStep Step Task",
    "dflow_nb.model.steps": "Steps",
    "dflow_nb.model.templates": "ContainerOPTemplate HTTPOPTemplate OPTemplate "
                                "PythonScriptOPTemplate Resource ResourceOPTemplate "
                                "ScriptOPTemplate ShellOPTemplate",
    "dflow_nb.plugins.container": "ContainerExecutor",
    "dflow_nb.plugins.remote": "RemoteExecutor",
    "dflow_nb.plugins.slurm": "SlurmJob SlurmJobTemplate SlurmRemoteExecutor",
    "dflow_nb.python.record": "record",
    "dflow_nb.storage": "StorageClient",
}
_ALIASES = {"ArgoStep": "StepRecord", "ArgoWorkflow": "WorkflowRecord"}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, _ALIASES)   # each name on first use


def load_ipython_extension(ipython: "InteractiveShell") -> None:
    """``%load_ext dflow_nb``: registers the ``%dflow`` / ``%%dflow`` magics."""
    from dflow_nb.notebook.magics import load_ipython_extension as load
    load(ipython)


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
