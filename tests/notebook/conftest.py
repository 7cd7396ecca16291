"""Run notebooks written by the tests in a real kernel (nbclient) and read what cells showed."""
import json
import os
import sys

import nbformat
import pytest
from nbclient import NotebookClient

MIME = "application/vnd.dflow-nb.workflow+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


class Ran:
    """An executed notebook: cells by tag, their text, bundles and the saved widget state."""

    def __init__(self, nb):
        self.nb = nb
        self.cells = {c.metadata.get("tag"): c for c in nb.cells if c.metadata.get("tag")}

    def outputs(self, tag):
        return self.cells[tag].outputs

    def text(self, tag):
        out = []
        for o in self.outputs(tag):
            if o.output_type == "stream":
                out.append(o.text)
            elif o.output_type == "error":
                out.append(f"{o.ename}: {o.evalue}")
            elif "data" in o and "text/plain" in o.data:
                out.append(o.data["text/plain"])
        return "".join(out)

    def errors(self, tag):
        return [o for o in self.outputs(tag) if o.output_type == "error"]

    def data(self, tag, mime):
        return [o.data[mime] for o in self.outputs(tag) if "data" in o and mime in o.data]

    def all_text(self):
        return json.dumps(nbformat.writes(self.nb))

    def widget_models(self):
        state = self.nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
        return state


@pytest.fixture
def run_notebook(tmp_path):
    """run_notebook([(tag, source), ...], env={...}) -> Ran; errors are kept, not raised."""

    def run(cells, env=None, timeout=120):
        nb = nbformat.v4.new_notebook()
        for tag, source in cells:
            cell = nbformat.v4.new_code_cell(source)
            cell.metadata["tag"] = tag
            nb.cells.append(cell)
        nbformat.write(nb, tmp_path / "test.ipynb")
        saved = dict(os.environ)
        os.environ.update({"DFLOW_MODE": "debug", "DFLOW_HOST": "", **(env or {})})
        os.environ.pop("DFLOW_DEBUG_WORKDIR", None)
        try:
            client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                                    resources={"metadata": {"path": str(tmp_path)}},
                                    store_widget_state=True)
            client.kernel_manager_class  # noqa: B018 (nbclient picks the kernel of this env)
            client.execute()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        nbformat.write(nb, tmp_path / "executed.ipynb")
        return Ran(nb)

    assert sys.executable  # the kernel is this interpreter's ipykernel (python3 kernelspec)
    return run
