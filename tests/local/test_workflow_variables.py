"""``workflow.creationTimestamp`` as Argo offers it: RFC 3339 in UTC, and the strftime parts
(``.Y``, ``.m``, ``.d``...) for simple tags; in an expression the parts are a map (Argo drops
the less specific name), so Sprig's dates take ``.RFC3339``."""
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
