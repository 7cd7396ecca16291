"""An internal error while running one node is that node's Error, never a dead run; the run's
final phase is written after every node has settled; step-level exit handlers (``onExit`` and
``hooks.exit``, as Argo's examples write them) run after their step, whatever its phase."""
import json
import textwrap

import pytest

from dflow_nb import ShellOPTemplate, Step, Task, Workflow

DEEP = "(" * 600 + "1 == 1" + ")" * 600     # only known at run time: it is a parameter's value


def shell(name, script):
    return ShellOPTemplate(name=name, script=script)


def test_the_run_ends_after_every_node_has_settled(tmp_path, procs):
    """A DAG task fails inside the engine while its sibling runs: the sibling used to finish
    and rewrite its node after the run had been recorded as Error."""
    pid_file = tmp_path / "slow.pid"
    wf = Workflow("settle", parameters={"cond": DEEP})
    wf.add(Task("slow", ShellOPTemplate(name="slow", script='echo $$ > "$PIDS"; sleep 2',
                                        envs={"PIDS": str(pid_file)})))
    wf.add(Task("deep", shell("quick", "echo hi"), when="{{workflow.parameters.cond}}"))
    record = wf.submit(wait=True)
    assert procs.wait_dead(procs.read(pid_file))
    nodes = wf.query_nodes()
    late = [n.displayName for n in nodes if n.finishedAt > record.finishedAt]
    assert not late, f"nodes changed after the run ended: {late}"
    assert not [n.displayName for n in nodes if n.phase in ("Pending", "Running")]
    assert record.phase in ("Failed", "Error")
    assert not record.message.startswith("engine error"), record.message
    (deep,) = wf.query_step(name="deep")
    assert deep.phase == "Error" and deep.message


def test_an_internal_error_in_one_node_is_that_nodes_error():
    """...so ``continue_on_error`` lets the run go on, as for any other Error."""
    wf = Workflow("contained", parameters={"cond": DEEP})
    wf.add([Step("fine", shell("fine", "echo fine")),
            Step("deep", shell("quick", "echo hi"), when="{{workflow.parameters.cond}}",
                 continue_on_error=True)])
    wf.add(Step("after", shell("after", "echo after")))
    record = wf.submit(wait=True)
    assert record.phase == "Succeeded", record.message
    (deep,) = wf.query_step(name="deep")
    assert deep.phase == "Error" and deep.message
    assert wf.query_step(name="after")[0].phase == "Succeeded"


@pytest.mark.no_manifest_check   # a hook naming a template Argo cannot find: Argo refuses it
def test_a_hook_naming_a_template_by_string_fails_its_node_not_the_run():
    wf = Workflow("named-hook")
    wf.add(Step("x", shell("hello", "echo hello"), hooks={"exit": {"template": "handler"}}))
    wf.add(Step("y", shell("later", "echo later")))
    record = wf.submit(wait=True)
    (hook,) = [n for n in wf.query_nodes() if n.displayName == "x.onExit"]
    assert hook.phase == "Error" and "handler" in hook.message, hook.message
    assert record.phase == "Succeeded", record.message   # as on Argo: a hook's phase is its own
    assert wf.query_step(name="y")[0].phase == "Succeeded"


MANIFEST = textwrap.dedent("""
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata:
      generateName: step-exit-
    spec:
      entrypoint: main
      templates:
      - name: main
        steps:
        - - name: hello
            template: echo
            arguments:
              parameters: [{name: text, value: hello}]
            onExit: cleanup
          - name: fails
            template: fail
            continueOn:
              failed: true
            hooks:
              exit:
                template: report
                arguments:
                  parameters:
                  - {name: status, value: "{{steps.fails.status}}"}
                  - {name: code, value: "{{steps.fails.exitCode}}"}
        - - name: next
            template: tasks
      - name: tasks
        dag:
          tasks:
          - name: t
            template: echo
            arguments:
              parameters: [{name: text, value: task}]
            onExit: cleanup
      - name: echo
        inputs:
          parameters: [{name: text}]
        script:
          image: alpine:3
          command: [sh]
          source: echo {{inputs.parameters.text}}
      - name: fail
        script:
          image: alpine:3
          command: [sh]
          source: exit 3
      - name: cleanup
        script:
          image: alpine:3
          command: [sh]
          source: echo step cleanup
      - name: report
        inputs:
          parameters: [{name: status}, {name: code}]
        script:
          image: alpine:3
          command: [sh]
          source: echo "{{inputs.parameters.status}} {{inputs.parameters.code}}"
    """)


def canon(manifest):
    """The manifest as text, its templates in name order (the compiler orders them its way)."""
    spec = dict(manifest["spec"], templates=sorted(manifest["spec"]["templates"],
                                                   key=lambda t: t["name"]))
    return json.dumps(dict(manifest, spec=spec), sort_keys=True)


def test_step_level_exit_handlers_from_an_argo_manifest_run_after_their_step():
    import yaml
    wf = Workflow.from_yaml(MANIFEST)
    assert canon(wf.to_dict()) == canon(yaml.safe_load(MANIFEST))   # it compiles back as it was
    record = wf.submit(wait=True)
    nodes = {n.displayName: n for n in wf.query_nodes()}
    assert record.phase == "Succeeded", record.message
    for step in ("hello", "fails", "t"):
        hook = nodes[f"{step}.onExit"]
        assert hook.phase == "Succeeded", (step, hook.message)
        assert hook.startedAt >= nodes[step].finishedAt
    assert nodes["hello.onExit"].outputs.result == "step cleanup"
    assert nodes["t.onExit"].outputs.result == "step cleanup"
    assert nodes["fails"].phase == "Failed"
    assert nodes["fails.onExit"].outputs.result == "Failed 3"
    assert nodes["next"].startedAt >= nodes["fails.onExit"].finishedAt
