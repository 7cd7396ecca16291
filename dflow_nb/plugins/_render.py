"""What every executor needs to render a template: the rendered template's class, clones of
the I/O, the OP as bytes, the template's absolute paths; and what the rendered script's runner
decodes on the other side (``unb64``, ``map_roots``, the slice a pod is told on Argo).

A rendered template is an ordinary script template: the local engine runs its script on this
machine with the step's ``/tmp`` paths pointed at the step's own directory, and Argo runs the
same script in a pod where ``/tmp`` is real. The executors rely on that: every path a generated
script touches is written as a literal absolute path, so one script serves both.
"""
from __future__ import annotations

import base64
import copy
import inspect
import json
import sys
from types import ModuleType
from typing import Any, Dict, Tuple, Union

from dflow_nb.model.io import InputParameter, Inputs, Outputs
from dflow_nb.model.names import randstr
from dflow_nb.model.templates import OPTemplate, PythonScriptOPTemplate
from dflow_nb.python.python_op_template import slice_groups


class RenderedScript(PythonScriptOPTemplate):
    """The Python script an executor renders a leaf into (it calls the executor's ``*_run``).

    The backends read two flags of it: ``takes_slice`` (the Argo compiler loops over the
    slices of a sliced OP's rendering as over the OP's, see ``wire_argo_slice``) and
    ``merge_sliced_step`` (the local engine runs every slice in this one leaf).
    """

    takes_slice = False
    merge_sliced_step = False


def clone_io(template: OPTemplate) -> Tuple[Inputs, Outputs]:
    """Copies of a template's input and output declarations, for a rendered template."""
    inputs = Inputs({k: copy.copy(v) for k, v in template.inputs.parameters.items()},
                    {k: copy.copy(v) for k, v in template.inputs.artifacts.items()})
    outputs = Outputs({k: copy.copy(v) for k, v in template.outputs.parameters.items()},
                      {k: copy.copy(v) for k, v in template.outputs.artifacts.items()})
    return inputs, outputs


def rendered_name(template: OPTemplate) -> str:
    """Dflow's naming of rendered templates: the original name plus a random suffix."""
    return f"{template.name[:56]}-{randstr()}"


def pickle_op(op: Any) -> bytes:
    """The OP as bytes another interpreter can load without this process's import path.

    Modules that are not installed packages (a notebook, a test file, a script next to the
    workflow) are pickled by value: the remote side may not be able to import them.
    """
    import cloudpickle  # only an executor that ships an OP pays for it
    cls = op if inspect.isclass(op) else type(op)
    module = sys.modules.get(cls.__module__)
    by_value = module is not None and cls.__module__ != "__main__" and not _installed(module)
    if by_value:
        cloudpickle.register_pickle_by_value(module)
    try:
        return cloudpickle.dumps(op)
    finally:
        if by_value:
            cloudpickle.unregister_pickle_by_value(module)


def _installed(module: ModuleType) -> bool:
    path = getattr(module, "__file__", None) or ""
    name = module.__name__.split(".")[0]
    return name == "dflow_nb" or "site-packages" in path or "dist-packages" in path or \
        not path or path.startswith(sys.base_prefix + "/lib")


def b64(data: Union[bytes, str]) -> str:
    """URL-safe base64: no ``/`` (so the engine's /tmp remapping never touches it), no ``{``."""
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode())


def io_paths(template: OPTemplate) -> Dict[str, str]:
    """Every declared path of a template, keyed ``in:<name>``, ``out:<name>``, ``par:<name>``."""
    paths: Dict[str, str] = {}
    for k, given in template.inputs.artifacts.items():
        paths[f"in:{k}"] = given.path or f"/tmp/inputs/artifacts/{k}"
    for k, made in template.outputs.artifacts.items():
        if made.path:
            paths[f"out:{k}"] = made.path
    for k, p in template.outputs.parameters.items():
        if p.value_from_path:
            paths[f"par:{k}"] = p.value_from_path
    return paths


def param_envs(template: OPTemplate) -> Dict[str, str]:
    """Input parameters as environment variables: Argo and the engine substitute tags there,
    and an environment value needs no quoting (a parameter may hold any text)."""
    return {f"DFLOW_NB_P{i}": "{{inputs.parameters.%s}}" % k
            for i, k in enumerate(template.inputs.parameters)}


def argo_slice(text: str) -> Dict[str, Any]:
    """The compiler's ``dflow_slice`` argument as SliceSpec fields (a group becomes its
    list of indices, in the same order as a plain Python OP's pod computes it)."""
    data = json.loads(text)
    group = data.pop("group", None)
    if group:
        groups = slice_groups(range(int(group["n"])), int(group["size"]),
                              bool(group.get("shuffle")), group.get("seed", 0))
        data["index"] = groups[int(data["index"])]
    return data


def python_literal(value: Any) -> str:
    """A JSON-able value as Python source (paths stay literal strings for the engine to map)."""
    return repr(json.loads(json.dumps(value)))


ARGO_SLICE_ENV = "DFLOW_NB_ARGO_SLICE"


def wire_argo_slice(rendered: RenderedScript) -> None:
    """Let a rendering of a sliced Python OP take its slice on Argo: the compiler loops over
    the slices and passes each pod its SliceSpec as the ``dflow_slice`` argument, which the
    rendered script reads from DFLOW_NB_ARGO_SLICE (the local engine's DFLOW_NB_SLICE wins)."""
    rendered.envs = dict(rendered.envs)
    rendered.envs[ARGO_SLICE_ENV] = "{{inputs.parameters.dflow_slice}}"
    rendered.inputs.parameters["dflow_slice"] = InputParameter(value="")
    rendered.takes_slice = True
