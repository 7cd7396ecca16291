"""Python OPs: ``from dflow_nb.python import OP, OPIO, OPIOSign, Artifact, PythonOPTemplate``."""
from .errors import FatalError, TransientError
from .op import OP
from .opio import OPIO, Artifact, BigParameter, NestedDict, OPIOSign, Parameter
from .python_op_template import PythonOPTemplate, Slices, upload_packages

__all__ = ["OP", "OPIO", "Artifact", "BigParameter", "OPIOSign", "Parameter", "FatalError",
           "PythonOPTemplate", "Slices", "TransientError", "upload_packages", "NestedDict"]
