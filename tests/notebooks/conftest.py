"""The one-node Slurm cluster of the executor tests (started once per session, stopped by PID),
for the HPC tutorial's run on a real scheduler."""
from tests.plugins.conftest import slurm_cluster  # noqa: F401 (a fixture)
