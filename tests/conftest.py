"""Every test runs in its own directory, with the local engine writing its state there; every
workflow a test submits is also compiled to an Argo manifest and checked against Argo's schema."""
import os

import pytest

from dflow_nb import config


@pytest.fixture(autouse=True, scope="session")
def model_key(tmp_path_factory):
    """The key that seals stored models: one per test process (and the servers and kernels it
    starts, session- and module-wide ones too), not the user's own."""
    os.environ["DFLOW_NB_MODEL_KEY_FILE"] = str(tmp_path_factory.getbasetemp() / "model.key")


@pytest.fixture(autouse=True)
def local_workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(config, "mode", "debug")
    monkeypatch.setitem(config, "debug_workdir", str(tmp_path))
    return tmp_path


@pytest.fixture(autouse=True)
def argo_manifest_of_every_run(monkeypatch, request):
    """Compile each submitted workflow and validate the manifest (schema + Argo's rules)."""
    if request.node.get_closest_marker("no_manifest_check"):
        return
    from dflow_nb.argo.compile import check_manifest
    from dflow_nb.hub.workflow import Workflow
    from dflow_nb.model.validation import validate

    submit = Workflow.submit

    def checked_submit(self, *args, **kwargs):
        try:
            validate(self)
        except Exception:
            return submit(self, *args, **kwargs)   # the test expects the local build error
        check_manifest(self)
        return submit(self, *args, **kwargs)

    monkeypatch.setattr(Workflow, "submit", checked_submit)
