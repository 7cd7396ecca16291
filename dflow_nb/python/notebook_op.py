"""NotebookOPTemplate: a parameterized notebook run as a step, with papermill.

::

    scan = NotebookOPTemplate("analysis.ipynb", parameters={"n": int, "rate": float},
                              outputs={"mean": float})
    step = Step("analyse", scan, parameters={"n": 100, "rate": 0.5})
    ...
    step_record.outputs.parameters["mean"].value        # a float the notebook record()-ed
    step_record.outputs.artifacts["notebook"].local_path  # the executed notebook's directory

- The step's input parameters become the notebook's parameters (injected after the cell tagged
  ``parameters``, as papermill does); input ``artifacts`` reach it as path strings.
- The executed notebook is the output artifact ``notebook`` (a directory holding
  ``<name>.ipynb``), kept also when a cell fails.
- ``dflow_nb.record(name, value)`` in the notebook sets output parameter ``name``, typed as
  declared in ``outputs``. A declared output the notebook never records fails the step, unless
  it is an ``OutputParameter`` with a ``default``.
- A failing cell fails the step with that cell's error as the step's message.

The notebook travels inside the template (compressed, outputs stripped), so the template is a
plain Argo ``script`` template: the local engine runs it as a subprocess, Argo in a pod whose
image has dflow_nb, papermill and a Jupyter kernel (ipykernel) named ``kernel_name``
(``image=``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, List, Mapping, Optional, Sequence, Union

from dflow_nb.model.io import InputArtifact, InputParameter, OutputArtifact, OutputParameter
from dflow_nb.model.names import kebab, randstr
from dflow_nb.model.templates import ScriptOPTemplate
from dflow_nb.model.typing_checks import describe_type
from dflow_nb.python.notebook_run import NOTEBOOK_ARTIFACT, pack_notebook

#: Above this the manifest grows past what Argo handles well (SEMANTICS.md §4.1).
MAX_PACKED = 256 * 1024
OUT_DIR = "/tmp/outputs"


def _type_name(tp: Any) -> Optional[str]:
    return None if tp is None else "str" if tp is str else describe_type(tp)


def _notebook_text(notebook: Union[str, Path, Mapping[str, Any]]) -> tuple[str, str]:
    """(file name, notebook JSON without outputs) of a path or an nbformat notebook."""
    import nbformat
    if isinstance(notebook, Mapping):
        name, node = "notebook.ipynb", nbformat.from_dict(dict(notebook))
    else:
        path = Path(notebook)
        if not path.is_file():
            raise FileNotFoundError(f"NotebookOPTemplate: no notebook at {path}")
        name = path.name if path.suffix == ".ipynb" else path.name + ".ipynb"
        try:
            node = nbformat.read(str(path), as_version=4)
        except Exception as exc:
            raise ValueError(f"NotebookOPTemplate: {path} is not a Jupyter notebook ({exc})") \
                from None
    for cell in node.cells:
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
    return name, nbformat.writes(node)


class NotebookOPTemplate(ScriptOPTemplate):
    """A script template that runs a notebook with papermill (see the module docstring)."""

    default_command = ["python3"]

    def __init__(self, notebook: Union[str, Path, Mapping[str, Any]],
                 parameters: Optional[Mapping[str, Any]] = None,
                 artifacts: Union[Sequence[str], Mapping[str, InputArtifact], None] = None,
                 outputs: Optional[Mapping[str, Any]] = None, kernel_name: str = "python3",
                 name: Optional[str] = None, **kwargs: Any) -> None:
        filename, text = _notebook_text(notebook)
        packed = pack_notebook(text)
        if len(packed) > MAX_PACKED:
            raise ValueError(f"NotebookOPTemplate: {filename} is {len(packed) // 1024} KiB "
                             f"compressed (at most {MAX_PACKED // 1024} KiB travel in a "
                             "manifest): move data out of the notebook into input artifacts")
        if name is None:
            name = kebab(Path(filename).stem).lower().strip("-")[:90] + "-" + randstr()
        super().__init__(name=name, **kwargs)
        self.kernel_name = kernel_name
        for key, decl in (parameters or {}).items():
            self.inputs.parameters[key] = decl if isinstance(decl, InputParameter) \
                else InputParameter(type=decl)
        arts = dict(artifacts) if isinstance(artifacts, Mapping) else \
            {k: InputArtifact() for k in artifacts or []}
        for key, art in arts.items():
            if key in self.inputs.parameters:
                raise ValueError(f"NotebookOPTemplate: {key!r} is both a parameter and an "
                                 "artifact; notebook parameters need distinct names")
            art.path = art.path or f"/tmp/inputs/artifacts/{key}"
            self.inputs.artifacts[key] = art
        for key, decl in (outputs or {}).items():
            if key == NOTEBOOK_ARTIFACT:
                raise ValueError(f"NotebookOPTemplate: output {key!r} is the executed notebook "
                                 "artifact; record the value under another name")
            out = decl if isinstance(decl, OutputParameter) else OutputParameter(type=decl)
            out.value_from_path = f"{OUT_DIR}/parameters/{key}"
            self.outputs.parameters[key] = out
        self.outputs.artifacts[NOTEBOOK_ARTIFACT] = OutputArtifact(
            path=f"{OUT_DIR}/artifacts/{NOTEBOOK_ARTIFACT}")
        self.script = self._script(packed, filename)

    def _script(self, packed: str, filename: str) -> str:
        params = [f"        {k!r}: ({_type_name(p.type)!r}, "
                  f"\"{{{{=sprig.b64enc(inputs.parameters[{k!r}])}}}}\"),"
                  for k, p in self.inputs.parameters.items()]
        arts = [f"        {k!r}: {a.path!r}," for k, a in self.inputs.artifacts.items()]
        outs = {k: _type_name(p.type) for k, p in self.outputs.parameters.items()}
        required: List[str] = [k for k, p in self.outputs.parameters.items() if not p.has_default]
        return "\n".join([
            "import sys",
            "from dflow_nb.python.notebook_run import run_notebook",
            "sys.exit(run_notebook(",
            f"    notebook={packed!r},",
            f"    filename={filename!r},",
            "    parameters={", *params, "    },",
            "    artifacts={", *arts, "    },",
            f"    outputs={outs!r},",
            f"    required={required!r},",
            f"    out_dir={OUT_DIR!r},",
            f"    kernel_name={self.kernel_name!r},",
            "))",
            ""])
