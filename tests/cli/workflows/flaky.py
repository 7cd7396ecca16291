"""A step that fails until the file named by $DFLOW_NB_TEST_FLAG exists (for retry)."""
from dflow_nb import ShellOPTemplate, Step, Workflow

wf = Workflow("flaky")
wf.add(Step("prepare", ShellOPTemplate(name="prepare", script="echo prepared"), key="prepare"))
wf.add(Step("check", ShellOPTemplate(
    name="check", script='echo "checking for the flag"; test -f "$DFLOW_NB_TEST_FLAG"'),
    key="check"))
