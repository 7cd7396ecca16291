"""A step that prints a line every 0.2 s (``count`` lines), then a second step."""
from dflow_nb import InputParameter, ShellOPTemplate, Step, Workflow

tick = ShellOPTemplate(name="tick", script='for i in $(seq 1 {{inputs.parameters.count}}); do '
                                           'echo "tick $i"; sleep 0.2; done')
tick.inputs.parameters["count"] = InputParameter()

wf = Workflow("slow", parameters={"count": 10})
wf.add(Step("tick", tick, parameters={"count": "{{workflow.parameters.count}}"}, key="tick"))
wf.add(Step("after", ShellOPTemplate(name="after", script="echo after"), key="after"))
