"""A template's declared input defaults are the author's text: their tags (``{{= }}``
expressions included) are rendered once, in the workflow's scope, when the template is called
without that argument. Values that arrive as arguments are never read as templates again."""
import base64
import json
import textwrap

from dflow_nb import Workflow

FORECAST = {"days": base64.b64encode(json.dumps({"temps": [10, 14, 12]}).encode()).decode()}

MANIFEST = textwrap.dedent("""\
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata: {generateName: defaults-}
    spec:
      entrypoint: main
      arguments:
        parameters:
        - name: forecast
          value: 'FORECAST'
      templates:
      - name: main
        steps:
        - - name: summary
            template: summarize
        - - name: relay
            template: show
            arguments:
              parameters: [{name: text, value: "{{steps.summary.outputs.result}}"}]
      - name: summarize
        inputs:
          parameters:
          - name: stats
            value: |
              {{=
                map([jsonpath(sprig.b64dec(jsonpath(workflow.parameters.forecast, '$.days')),
                              '$.temps')], {
                  toJson({hottest: sprig.max(#[0], #[1], #[2]), total: sprig.add(#[0], #[1], #[2])})
                })[0]
              }}
        script:
          image: alpine:3
          command: [sh]
          env:
          - {name: HOT, value: "{{=jsonpath(inputs.parameters.stats, '$.hottest')}}"}
          - {name: TOTAL, value: "{{=jsonpath(inputs.parameters.stats, '$.total')}}"}
          source: |
            echo "$HOT/$TOTAL {{='{{'}}= 1 + 1 }}"
      - name: show
        inputs:
          parameters: [{name: text}]
        script:
          image: alpine:3
          command: [sh]
          source: echo '{{inputs.parameters.text}}'
    """).replace("FORECAST", json.dumps(FORECAST))


def test_an_expression_default_is_evaluated_and_jsonpath_reads_its_result():
    wf = Workflow.from_yaml(MANIFEST)
    record = wf.submit(wait=True)
    assert record.phase == "Succeeded", record.message
    nodes = {n.displayName: n for n in wf.query_nodes()}
    assert json.loads(nodes["summary"].inputs.parameters["stats"].value) == \
        {"hottest": 14, "total": 36}
    assert nodes["summary"].outputs.result == "14/36 {{= 1 + 1 }}"
    # the tag text a step printed is passed on as it is, not evaluated a second time
    assert nodes["relay"].outputs.result == "14/36 {{= 1 + 1 }}"


def test_a_default_that_cannot_be_rendered_names_the_input():
    wf = Workflow.from_yaml(MANIFEST.replace("workflow.parameters.forecast",
                                             "workflow.parameters.nowhere"))
    record = wf.submit(wait=True)
    assert record.phase != "Succeeded"
    node = {n.displayName: n for n in wf.query_nodes()}["summary"]
    assert "input parameter 'stats'" in node.message
    assert "workflow.parameters.nowhere" in node.message
