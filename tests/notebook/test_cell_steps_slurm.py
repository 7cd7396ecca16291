"""A cell-step sent to Slurm with ``--executor``: the job runs the cell's shipped source."""
import math
import sys
import types

from dflow_nb.notebook.cell_steps import CellSteps
from dflow_nb.plugins.slurm import SlurmRemoteExecutor
from tests.plugins.conftest import slurm, slurm_cluster  # noqa: F401 (fixtures)


def test_a_cell_step_runs_as_a_slurm_job_from_its_source(slurm, tmp_path, monkeypatch):  # noqa: F811
    kernel = types.ModuleType("slurm_kernel")
    monkeypatch.setitem(sys.modules, "slurm_kernel", kernel)
    ns = vars(kernel)
    ns.update(math=math, hpc=SlurmRemoteExecutor(
        host="localhost", workdir=str(tmp_path / "remote"), interval=0.2,
        submission_timeout=90, python=sys.executable))
    steps = CellSteps()
    steps.define("prepare n:int=3 -> xs:List[int]", "xs = [k * k for k in range(1, n + 1)]\n", ns)
    steps.define("roots xs=prepare.xs --executor hpc -> ys:List[float] job:str",
                 "import os\nys = [math.sqrt(x) for x in xs]\n"
                 "job = os.environ.get('SLURM_JOB_ID', '')\n", ns)
    wf = steps.workflow("cells-on-slurm")
    wf.submit(wait=True)
    out = wf.query_step(key="roots")[0].outputs.parameters
    assert wf.query_status() == "Succeeded"
    assert out["ys"].value == [1.0, 2.0, 3.0] and out["job"].value.isdigit()
    shipped = [p.read_bytes() for p in tmp_path.rglob("op.pkl")]   # what the job loaded
    assert len(shipped) == 1 and b"load_cell_op" in shipped[0]
    assert b"    ys = [math.sqrt(x) for x in xs]\n" in shipped[0] and b"import math" in shipped[0]
