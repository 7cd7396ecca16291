"""dflow_nb: Dflow, notebook-first. A Dflow script runs after ``s/dflow/dflow_nb/``."""
from .artifacts import (LocalArtifact, S3Artifact, copy_artifact, download_artifact,
                        fetch_artifact, path_list_of_artifact, path_object_of_artifact,
                        upload_artifact)
from .config import config, s3_config, set_config, set_s3_config
from .dag import DAG
from .errors import DflowNbError, StepNotFound, ValidationError, WorkflowNotFound
from .executor import ContainerExecutor, Executor
from .io import (AutonamedDict, InputArtifact, InputParameter, Inputs, OutputArtifact,
                 OutputParameter, Outputs)
from .names import randstr
from .storage import StorageClient
from .records import ArtifactRecord, ParameterRecord, StepRecord, WorkflowRecord
from .slurm import SlurmJob, SlurmJobTemplate, SlurmRemoteExecutor
from .references import (ArgoVar, IfExpression, argo_concat, argo_enumerate, argo_len,
                         argo_range, argo_sequence, argo_sum, if_expression)
from .step import Step, Task
from .steps import Steps
from .templates import (ContainerOPTemplate, OPTemplate, PythonScriptOPTemplate,
                        ScriptOPTemplate, ShellOPTemplate)
from .workflow import Workflow, query_workflows

def load_ipython_extension(ipython: object) -> None:
    """``%load_ext dflow_nb``: registers the ``%dflow`` / ``%%dflow`` magics."""
    from .notebook.magics import load_ipython_extension as load
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
