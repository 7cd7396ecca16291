"""Fix-and-resume's two refusals, said plainly: an OP whose inputs or outputs changed is not
swapped into a built workflow, and Argo's retry re-runs the code the run was submitted with.
(The swap itself runs in a real kernel: test_fix_and_resume_notebook.py.)"""
from dflow_nb import Step, Workflow, config
from dflow_nb.notebook.current_ops import use_current_ops
from dflow_nb.python import OP, OPIO, OPIOSign, PythonOPTemplate


def notebook_op(inputs):
    """An OP class as a notebook cell makes it (module ``__main__``)."""
    class Scale(OP):
        @classmethod
        def get_input_sign(cls):
            return OPIOSign(inputs)

        @classmethod
        def get_output_sign(cls):
            return OPIOSign({"y": float})

        def execute(self, op_in):
            return OPIO({"y": op_in["x"] * 2})
    Scale.__module__ = "__main__"
    return Scale


def test_an_op_whose_inputs_changed_is_kept_and_the_user_told_to_rebuild():
    before = notebook_op({"x": float})
    step = Step("scale", PythonOPTemplate(before), parameters={"x": 1.0})
    wf = Workflow("scale")
    wf.add(step)
    lines = use_current_ops(wf, {"Scale": notebook_op({"x": float, "factor": float})})
    assert lines == ["Scale: its inputs or outputs changed since this run was built, so the run "
                     "keeps the old one; build the workflow again (run its cell) to use the "
                     "new one"]
    assert step.template.op is before
    same = notebook_op({"x": float})   # the cell run again as it was: taken, nothing to say
    assert use_current_ops(wf, {"Scale": same}) == [] and step.template.op is same

    class Scale(OP):   # the cell fixed: same inputs and outputs, other code
        @classmethod
        def get_input_sign(cls):
            return OPIOSign({"x": float})

        @classmethod
        def get_output_sign(cls):
            return OPIOSign({"y": float})

        def execute(self, op_in):
            return OPIO({"y": op_in["x"] * 3})
    Scale.__module__ = "__main__"
    assert use_current_ops(wf, {"Scale": Scale}) == [
        "Scale: using the kernel's current definition (changed since this run)"]
    assert step.template.op is Scale


def test_retry_on_argo_says_it_runs_the_code_the_run_was_submitted_with(monkeypatch):
    monkeypatch.setitem(config, "mode", "default")
    wf = Workflow(id="scale-x7k2p", host="https://argo.example:2746")
    assert use_current_ops(wf, {}, "retry") == [
        "on Argo, retry runs the failed steps with the code the run was submitted with; to "
        "run an OP as its cell defines it now, resubmit (%dflow resubmit)"]
