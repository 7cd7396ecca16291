"""dflow_nb: Dflow, notebook-first. A Dflow script runs after ``s/dflow/dflow_nb/``."""
from dflow_nb.config import config, s3_config, set_config, set_s3_config
from dflow_nb.errors import DflowNbError, StepNotFound, ValidationError, WorkflowNotFound
from dflow_nb.hub.artifacts import (
    LocalArtifact,
    S3Artifact,
    copy_artifact,
    download_artifact,
    fetch_artifact,
    path_list_of_artifact,
    path_object_of_artifact,
    upload_artifact,
)
from dflow_nb.hub.records import ArtifactRecord, ParameterRecord, StepRecord, WorkflowRecord
from dflow_nb.hub.workflow import Workflow, query_workflows
from dflow_nb.model.dag import DAG
from dflow_nb.model.executor import Executor
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
from dflow_nb.model.step import Step, Task
from dflow_nb.model.steps import Steps
from dflow_nb.model.templates import (
    ContainerOPTemplate,
    OPTemplate,
    PythonScriptOPTemplate,
    ScriptOPTemplate,
    ShellOPTemplate,
)
from dflow_nb.plugins.container import ContainerExecutor
from dflow_nb.plugins.slurm import SlurmJob, SlurmJobTemplate, SlurmRemoteExecutor
from dflow_nb.storage import StorageClient


def load_ipython_extension(ipython: object) -> None:
    """``%load_ext dflow_nb``: registers the ``%dflow`` / ``%%dflow`` magics."""
    from dflow_nb.notebook.magics import load_ipython_extension as load
    load(ipython)


ArgoStep = StepRecord
ArgoWorkflow = WorkflowRecord

__version__ = "0.1.0"

__all__ = [
    "ArgoStep", "ArgoVar", "ArgoWorkflow", "ArtifactRecord", "AutonamedDict",
    "ContainerExecutor", "ContainerOPTemplate", "DAG", "Executor", "StorageClient",
    "fetch_artifact", "DflowNbError", "IfExpression", "InputArtifact",
    "InputParameter", "Inputs", "LocalArtifact", "OPTemplate", "OutputArtifact",
    "OutputParameter", "Outputs", "ParameterRecord", "PythonScriptOPTemplate", "S3Artifact",
    "ScriptOPTemplate", "ShellOPTemplate", "Step", "StepNotFound", "StepRecord", "Steps", "Task",
    "ValidationError", "Workflow", "WorkflowNotFound", "WorkflowRecord", "argo_concat",
    "argo_enumerate", "argo_len", "argo_range", "argo_sequence", "argo_sum", "config",
    "copy_artifact", "download_artifact", "if_expression", "path_list_of_artifact",
    "path_object_of_artifact", "query_workflows", "randstr", "s3_config", "set_config",
    "set_s3_config", "upload_artifact", "SlurmJob", "SlurmJobTemplate", "SlurmRemoteExecutor",
]
