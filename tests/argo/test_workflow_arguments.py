"""Workflow-level artifact arguments built in Python: the entrypoint gets them locally, and the
manifest carries them in ``spec.arguments.artifacts`` (a local file becomes an upload)."""
from dflow_nb import InputArtifact, ShellOPTemplate, Step, Steps, Workflow


def test_a_workflow_artifact_reaches_the_entrypoint_and_the_manifest(tmp_path, validate_manifest):
    data = tmp_path / "numbers.txt"
    data.write_text("1 2 3\n")
    show = ShellOPTemplate(name="show", script="cat /tmp/in")
    show.inputs.artifacts["text"] = InputArtifact(path="/tmp/in")
    main = Steps(name="main")
    main.inputs.artifacts["data"] = InputArtifact()
    main.add(Step("show", show, artifacts={"text": main.inputs.artifacts["data"]}))
    wf = Workflow(name="wf-artifacts", steps=main, artifacts={"data": str(data)})

    manifest = validate_manifest(wf.to_dict())
    (arg,) = manifest["spec"]["arguments"]["artifacts"]
    assert arg["name"] == "data" and arg["s3"]["key"].startswith("dflow-nb/upload/")

    assert wf.submit(wait=True).phase == "Succeeded"
    assert wf.query_step(name="show")[0].raw_outputs.get("result") == "1 2 3"
