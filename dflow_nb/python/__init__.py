"""Python OPs: ``from dflow_nb.python import OP, OPIO, OPIOSign, Artifact, PythonOPTemplate``.

Each name is imported on first use, so a process that only runs OPs (a warm worker, a pod)
loads ``OP`` and ``OPIO`` without the template and notebook machinery.
"""
from typing import TYPE_CHECKING

from dflow_nb._lazy import lazy_exports
from dflow_nb.python.record import record  # eager: the name is also a submodule's

if TYPE_CHECKING:
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

_EXPORTS = {
    "dflow_nb.python.errors": "FatalError TransientError",
    "dflow_nb.python.notebook_op": "NotebookOPTemplate",
    "dflow_nb.python.op": "OP",
    "dflow_nb.python.opio": "OPIO Artifact BigParameter HDF5Datasets NestedDict OPIOSign "
                            "Parameter",
    "dflow_nb.python.python_op_template": "PythonOPTemplate Slices upload_packages",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


__all__ = ["OP", "OPIO", "Artifact", "BigParameter", "OPIOSign", "Parameter", "FatalError",
           "PythonOPTemplate", "Slices", "TransientError", "upload_packages", "NestedDict",
           "NotebookOPTemplate", "record", "HDF5Datasets"]
