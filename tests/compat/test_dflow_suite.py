"""benchmarks/dflow_suite.py on a small Dflow-shaped repository: it finds the items, leaves out
what needs a cluster (saying why), rewrites only the imports, joins a notebook's code cells
(``%`` as an operator stays Python, an IPython magic line does not), runs a file of pytest
functions under pytest, and reports each item's status and workflow phases."""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat

PROJECT = Path(__file__).resolve().parents[2]
SUITE = PROJECT / "benchmarks" / "dflow_suite.py"

EXAMPLE = """
from dflow import ShellOPTemplate, Step, Workflow
from dflow.python import upload_packages

upload_packages.append(__file__)

if __name__ == "__main__":
    wf = Workflow(name="ok")
    wf.add(Step("hi", ShellOPTemplate(name="hi", script="echo hi")))
    wf.submit()
    assert wf.query_status() == "Succeeded"
    assert "dflow" in "the word dflow in a string is not an import"
"""

CLUSTER = """
from dflow.plugins.ray import RayClusterExecutor
"""

PYTEST_FILE = """
from dflow.utils import run_command

def test_echo():
    assert run_command("echo x")[1] == "x\\n"
"""


def fake_checkout(root: Path) -> Path:
    (root / "examples").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "tutorials").mkdir()
    (root / "examples" / "test_ok.py").write_text(textwrap.dedent(EXAMPLE))
    (root / "examples" / "test_cluster.py").write_text(CLUSTER)
    (root / "tests" / "test_funcs.py").write_text(textwrap.dedent(PYTEST_FILE))
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("%matplotlib inline\nfrom dflow import Step, Workflow, "
                                  "ShellOPTemplate"),
        nbformat.v4.new_markdown_cell("text"),
        nbformat.v4.new_code_cell('when = "%s < %s"\\\n    % (1, 2)\nassert when == "1 < 2"\n'
                                  'wf = Workflow("nb")\n'
                                  'wf.add(Step("hi", ShellOPTemplate(name="hi", script="true")))\n'
                                  "wf.submit();"),
    ]
    nbformat.write(nb, root / "tutorials" / "tour.ipynb")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    for cmd in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "fake dflow"]):
        subprocess.run(git + cmd, cwd=root, check=True, capture_output=True)
    return root


def run_suite(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The runner, with its clones and run directories under ``cwd/tmp``."""
    (cwd / "tmp").mkdir(exist_ok=True)
    env = dict(os.environ, TMPDIR=str(cwd / "tmp"))
    return subprocess.run([sys.executable, str(SUITE), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL, env=env)


def test_the_suite_runs_a_dflow_checkout_from_a_git_url(tmp_path):
    repo = fake_checkout(tmp_path / "dflow")
    listed = run_suite(str(repo), "--list", cwd=tmp_path)
    assert "examples/test_cluster.py" in listed.stdout
    assert "needs a Ray cluster on Kubernetes" in listed.stdout
    assert "4 items, 3 runnable on one machine" in listed.stdout

    done = run_suite(f"file://{repo}", "--impl", "dflow_nb", "--json", "out.json", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    results = {r["item"]: r for r in json.loads((tmp_path / "out.json").read_text())["results"]}
    assert set(results) == {"examples/test_ok.py", "tests/test_funcs.py",
                            "tutorials/tour.ipynb"}
    assert all(r["status"] == "passed" for r in results.values())
    assert results["examples/test_ok.py"]["workflows"] == ["Succeeded"]
    assert results["tutorials/tour.ipynb"]["workflows"] == ["Succeeded"]
    assert "| total | **3/3** |" in done.stdout
    assert not list((tmp_path / "tmp").glob("dflow-checkout-*"))   # the clone is removed
    assert not list((tmp_path / "tmp").glob("dflow-suite-*"))      # so are passed runs' dirs


def test_a_failing_item_is_reported_with_its_error(tmp_path):
    repo = tmp_path / "dflow"
    (repo / "examples").mkdir(parents=True)
    (repo / "examples" / "test_bad.py").write_text("from dflow import NoSuchName\n")
    done = run_suite(str(repo), cwd=tmp_path)
    assert done.returncode == 1
    assert "| examples/test_bad.py | failed |" in done.stdout
    assert "cannot import name 'NoSuchName' from 'dflow_nb'" in done.stderr
