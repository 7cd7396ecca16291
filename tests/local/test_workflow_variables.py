"""Argo's global ``workflow.*`` variables the local engine provides: ``creationTimestamp`` (RFC
3339 in UTC, and the strftime parts ``.Y``, ``.m``, ``.d``... for simple tags; in an expression
the parts are a map, as Argo drops the less specific name, so Sprig's dates take
``.RFC3339``) and ``workflow.parameters.json`` (every parameter, as Argo lists them)."""
import json
import textwrap
import time
from datetime import datetime, timezone

from dflow_nb import ShellOPTemplate, Step, Workflow


def test_creation_timestamp_and_its_parts_in_tags_and_expressions():
    script = ("echo '{{workflow.creationTimestamp}}|{{workflow.creationTimestamp.Y}}-"
              "{{workflow.creationTimestamp.m}}-{{workflow.creationTimestamp.d}}|"
              "{{=sprig.date('2006-01-02', sprig.toDate('2006-01-02T15:04:05Z07:00', "
              "workflow.creationTimestamp.RFC3339))}}|{{=date(workflow.creationTimestamp.RFC3339)"
              ".Format('2006-01-02')}}|{{=sprig.date('2006', workflow.creationTimestamp)}}|"
              "{{workflow.creationTimestamp.Z}}'")
    wf = Workflow("stamp")
    wf.add(Step("when", ShellOPTemplate(name="when", script=script)))
    before = int(time.time())
    wf.submit(wait=True)
    stamp, parts, sprig_day, expr_day, year, zone = \
        wf.query_step(name="when")[0].outputs.result.split("|")
    created = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert before - 1 <= created.timestamp() <= time.time()
    assert parts == sprig_day == expr_day == stamp[:10]
    # a map is not a date: Sprig formats the current time, as on Argo
    assert year == time.strftime("%Y", time.gmtime()) and zone == "UTC"


LISTED = textwrap.dedent("""\
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {generateName: listed-}
    spec:
      entrypoint: main
      arguments:
        parameters: [{name: go, value: "yes"}, {name: n, value: "3"}]
      templates:
      - name: main
        steps:
        - - name: by-json
            template: say
            when: "{{=jsonpath(workflow.parameters.json, '$[0].value') == 'yes'}}"
          - name: by-index
            template: say
            when: "{{= asInt(jsonpath(workflow.parameters.json, '$[1].value')) > 5 }}"
          - name: listed
            template: echo
            arguments:
              parameters: [{name: t, value: "{{workflow.parameters}}"}]
      - name: say
        script: {image: alpine:3, command: [sh], source: echo hi}
      - name: echo
        inputs: {parameters: [{name: t}]}
        script: {image: alpine:3, command: [sh], source: "echo '{{inputs.parameters.t}}'"}
    """)


def test_workflow_parameters_json_lists_every_parameter_for_jsonpath():
    wf = Workflow.from_yaml(LISTED)
    assert wf.submit(wait=True).phase == "Succeeded"
    nodes = {n.displayName: n for n in wf.query_nodes()}
    assert nodes["by-json"].phase == "Succeeded"
    assert nodes["by-index"].phase == "Skipped"
    assert json.loads(nodes["listed"].outputs.result) == \
        [{"name": "go", "value": "yes"}, {"name": "n", "value": "3"}]
