"""The executor plug-in point: Step(executor=...) and Workflow(context=...) rewrite leaves."""
import copy

from dflow_nb import Executor, OutputParameter, ShellOPTemplate, Step, Workflow


class Tagging(Executor):
    """Runs a shell template with a tag in its environment (what a real executor would do with
    a scheduler or a container, in miniature)."""

    def __init__(self, tag):
        self.tag = tag

    def render(self, template):
        rendered = copy.deepcopy(template)
        rendered.envs = {**rendered.envs, "RUN_ON": self.tag}
        return rendered


def say():
    t = ShellOPTemplate(name="say", script='echo "$RUN_ON" > /tmp/where')
    t.outputs.parameters["where"] = OutputParameter(value_from_path="/tmp/where")
    return t


def test_workflow_context_applies_to_every_leaf_and_a_step_executor_wins():
    t = say()
    wf = Workflow("ctx", context=Tagging("cluster"))
    wf.add([Step("plain", t), Step("special", t, executor=Tagging("gpu-node"))])
    wf.submit()
    where = {s.displayName: s.outputs.parameters["where"].value for s in wf.query_step()}
    assert where == {"plain": "cluster", "special": "gpu-node"}
    assert t.envs == {}          # the shared template itself is untouched
