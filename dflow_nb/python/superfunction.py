"""``@OP.superfunction``: a function whose body calls function OPs becomes a DAG template."""
from __future__ import annotations

from typing import Any, Callable, Dict

from dflow_nb.model.io import InputArtifact, InputParameter, OutputArtifact, OutputParameter
from dflow_nb.model.names import kebab, randstr
from dflow_nb.python.opio import Artifact, Parameter
from dflow_nb.python.signature import sign_from_function


def make_superfunction(func: Callable, dag_kwargs: Dict[str, Any]) -> Any:
    from dflow_nb.model import context
    from dflow_nb.model.dag import DAG
    from dflow_nb.model.step import Step, Task
    from dflow_nb.model.steps import Steps

    input_sign, output_sign, to_opio, from_outputs = sign_from_function(func)

    class SuperFunction(DAG):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            for name, value in zip(input_sign, args):
                kwargs[name] = value
            container = context.current()
            if container is None:
                raise RuntimeError(f"{func.__name__}() builds steps: call it inside "
                                   "`with Workflow():`, `with DAG():` or `with Steps():`")
            cls = Step if isinstance(container, Steps) else Task
            step = cls(f"{self.name}-{randstr()}", template=self,
                       parameters={k: v for k, v in kwargs.items() if k in self.inputs.parameters},
                       artifacts={k: v for k, v in kwargs.items() if k in self.inputs.artifacts})
            return from_outputs({**step.outputs.parameters, **step.outputs.artifacts})

    dag = SuperFunction(name=kebab(func.__name__).lower(), **dag_kwargs)
    for name, sign in input_sign.items():
        if isinstance(sign, Artifact):
            dag.inputs.artifacts[name] = InputArtifact(type=sign.type, optional=sign.optional)
        else:
            kw: Dict[str, Any] = {"type": getattr(sign, "type", sign)}
            if isinstance(sign, Parameter) and sign.has_default:
                kw["value"] = sign.default
            dag.inputs.parameters[name] = InputParameter(**kw)
    context.push(dag)
    try:
        produced = to_opio(func(**dag.inputs.parameters, **dag.inputs.artifacts))
    finally:
        context.pop(dag)
    for name, sign in output_sign.items():
        if isinstance(sign, Artifact):
            dag.outputs.artifacts[name] = OutputArtifact(type=sign.type, _from=produced.get(name))
        else:
            dag.outputs.parameters[name] = OutputParameter(
                type=getattr(sign, "type", sign), value_from_parameter=produced.get(name))
    return dag
