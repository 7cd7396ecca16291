"""Python OPs: ``from dflow_nb.python import OP, OPIO, OPIOSign, Artifact, PythonOPTemplate``."""
from dflow_nb.python.errors import FatalError, TransientError
from dflow_nb.python.notebook_op import NotebookOPTemplate
from dflow_nb.python.op import OP
from dflow_nb.python.opio import (
    OPIO,
    Artifact,
    BigParameter,
    HDF5Datasets,
    NestedDict,
    OPIOSign,
    Parameter,
)
from dflow_nb.python.python_op_template import PythonOPTemplate, Slices, upload_packages
from dflow_nb.python.record import record

__all__ = ["OP", "OPIO", "Artifact", "BigParameter", "OPIOSign", "Parameter", "FatalError",
           "PythonOPTemplate", "Slices", "TransientError", "upload_packages", "NestedDict",
           "NotebookOPTemplate", "record", "HDF5Datasets"]
