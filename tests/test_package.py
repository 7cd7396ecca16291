"""The package's names are imported on first use: ``import dflow_nb`` stays light, and every
public name still works as a plain attribute, in ``dir()`` and for ``from ... import``."""
import subprocess
import sys

import pytest

import dflow_nb
import dflow_nb.python


@pytest.mark.parametrize("package", [dflow_nb, dflow_nb.python])
def test_every_public_name_resolves_and_is_listed(package):
    for name in package.__all__:
        assert getattr(package, name) is not None
        assert name in dir(package)


def test_old_names_stand_for_the_new_ones():
    assert dflow_nb.ArgoStep is dflow_nb.StepRecord
    assert dflow_nb.ArgoWorkflow is dflow_nb.WorkflowRecord


def test_an_unknown_name_is_an_attribute_error_naming_the_package():
    with pytest.raises(AttributeError, match="module 'dflow_nb' has no attribute 'Wokflow'"):
        dflow_nb.Wokflow  # noqa: B018
    with pytest.raises(ImportError):
        exec("from dflow_nb.python import OPP")


def test_importing_the_package_loads_neither_the_engine_nor_the_model():
    code = ("import sys, dflow_nb, dflow_nb.python; "
            "print(sorted(m for m in sys.modules if m.startswith(('dflow_nb.local', "
            "'dflow_nb.hub', 'dflow_nb.model.step', 'dflow_nb.argo'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
