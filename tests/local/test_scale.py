"""Workflows past Argo's caps run locally as the user built them: a DAG the Argo compiler
splits into groups, and a long chain of one OP, keep their step names, keys and records."""
from tests.argo.test_scale import chain, wide_dag


def test_a_dag_split_for_argo_runs_locally_with_its_own_names_and_keys():
    wf = wide_dag(260, far=230)   # two groups on Argo; t-231 reads t-1 across them
    wf.submit()
    assert wf.query_status() == "Succeeded"
    tasks = [s for s in wf.query_step() if s.type == "Pod"]
    assert sorted(s.displayName for s in tasks) == sorted(f"t-{i}" for i in range(260))
    far = wf.query_step(key="t-231")
    assert len(far) == 1
    assert far[0].name == f"{wf.id}[0].main.t-231"
    assert far[0].inputs.parameters["x"].value == 2   # t-1's y: start 0 -> t-0 1 -> t-1 2
    main = wf.query_step(name="main")[0]
    assert main.outputs.parameters["first"].value == 1
    assert {s.parentID for s in tasks} == {main.id}
    assert not [s for s in wf.query_step() if s.displayName.startswith("group-")]


def test_a_chain_of_250_steps_of_one_op_runs_and_keeps_each_steps_record():
    wf = chain(250)
    wf.submit()
    assert wf.query_status() == "Succeeded"
    last = wf.query_step(key="inc-249")[0]
    assert last.outputs.parameters["y"].value == 250
    assert [s.key for s in wf.query_step(type="Pod")] == [f"inc-{i}" for i in range(250)]
