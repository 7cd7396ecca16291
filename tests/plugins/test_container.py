"""ContainerExecutor with real podman and an image built locally from a busybox rootfs."""
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from dflow_nb import ShellOPTemplate, Step, Workflow, upload_artifact
from dflow_nb.plugins.container import ContainerExecutor
from dflow_nb.python import PythonOPTemplate
from tests.plugins.executor_helpers import (
    Upper,
    failure_text,
    python_mounts,
    shell_upper,
    step_log,
)


def text_artifact(tmp_path, content="hello\n"):
    (tmp_path / "hello.txt").write_text(content)
    return upload_artifact("hello.txt")


def test_a_shell_step_runs_inside_the_image(podman, tmp_path):
    t = shell_upper(image=podman)
    t.script += "cat /etc/dflow-nb-image\n"  # only the image has this file
    wf = Workflow("podman-shell")
    wf.add(Step("up", t, parameters={"n": 5}, artifacts={"text": text_artifact(tmp_path)},
                executor=ContainerExecutor(podman="podman")))
    wf.submit()
    assert wf.query_status() == "Succeeded", failure_text(wf.query_step(name="up")[0])
    step = wf.query_step(name="up")[0]
    assert step.outputs.parameters["n"].value == "5"
    assert (Path(step.outputs.artifacts["out"].paths[0]) / "upper.txt").read_text() == "HELLO\n"
    assert step.outputs.result == "ran 5\ndflow-nb test image"
    assert not Path("/etc/dflow-nb-image").exists()


def test_a_python_op_runs_inside_the_image(podman, tmp_path):
    ex = ContainerExecutor(podman="podman", mounts=python_mounts(),
                           python=str(Path(sys.prefix) / "bin" / "python"))
    wf = Workflow("podman-op")
    wf.add(Step("op", PythonOPTemplate(Upper, image=podman), parameters={"suffix": "!"},
                artifacts={"text": text_artifact(tmp_path)}, executor=ex))
    wf.submit()
    step = wf.query_step(name="op")[0]
    assert step.phase == "Succeeded", failure_text(step)
    assert step.outputs.parameters["where"].value == "image"
    assert (Path(step.outputs.artifacts["out"].paths[0]) / "upper.txt").read_text() == "HELLO\n!"


def test_a_bad_image_name_is_a_clear_error(podman, tmp_path):
    t = ShellOPTemplate(name="x", image="localhost/no-such-image:0", script="echo hi")
    wf = Workflow("podman-bad-image")
    wf.add(Step("x", t, executor=ContainerExecutor(podman="podman", image_pull_policy="Never")))
    t0 = time.time()
    wf.submit()
    step = wf.query_step(name="x")[0]
    assert step.phase == "Failed"
    assert "image 'localhost/no-such-image:0' is not present locally" in failure_text(step)
    assert "no-such-image" in step.message
    assert time.time() - t0 < 20


def test_a_missing_image_that_cannot_be_pulled_says_so(podman, tmp_path):
    t = ShellOPTemplate(name="x", image="localhost:1/nothing/here:0", script="echo hi")
    wf = Workflow("podman-no-pull")
    wf.add(Step("x", t, executor=ContainerExecutor(podman="podman")))
    wf.submit()
    step = wf.query_step(name="x")[0]
    assert step.phase == "Failed"
    assert "could not be pulled" in failure_text(step)


def test_a_container_killed_by_a_signal_fails_with_the_signal(podman, tmp_path):
    t = ShellOPTemplate(name="sleeper", image=podman, script="echo started; sleep 30")
    wf = Workflow("podman-killed")
    wf.add(Step("sleeper", t, executor=ContainerExecutor(podman="podman")))
    killed = []

    def killer():
        deadline = time.time() + 20
        while time.time() < deadline and not killed:
            out = subprocess.run(["podman", "ps", "--format", "{{.Names}}"], capture_output=True,
                                 text=True).stdout.split()
            mine = [n for n in out if n.startswith("dflow-nb-podman-killed")]
            if mine:
                subprocess.run(["podman", "kill", "--signal", "KILL", mine[0]], capture_output=True)
                killed.append(mine[0])
            time.sleep(0.1)

    th = threading.Thread(target=killer)
    th.start()
    t0 = time.time()
    wf.submit()
    th.join()
    assert killed
    step = wf.query_step(name="sleeper")[0]
    assert step.phase == "Failed"
    assert "SIGKILL" in step.message  # the wrapper dies by the container's signal
    assert "killed by SIGKILL (exit code 137)" in step_log(step)
    assert time.time() - t0 < 25


def test_render_is_a_valid_leaf_and_leaves_the_template_alone(podman):
    t = shell_upper(image=podman)
    before = t.script
    r = ContainerExecutor().render(t)
    assert t.script == before and r.name != t.name
    assert list(r.outputs.artifacts) == ["out"] and r.image == podman
    with pytest.raises(ValueError, match="has no image"):
        ContainerExecutor().render(ShellOPTemplate(name="noimg", script="true"))
    with pytest.raises(ValueError, match="one of"):
        ContainerExecutor(docker="docker", podman="podman")


@pytest.mark.skipif(shutil.which("docker") is None, reason="no docker client")
def test_docker_without_an_engine_fails_cleanly(tmp_path):
    t = ShellOPTemplate(name="d", image="busybox", script="true")
    wf = Workflow("docker-none")
    wf.add(Step("d", t, executor=ContainerExecutor(docker="docker", image_pull_policy="Never")))
    t0 = time.time()
    wf.submit()
    step = wf.query_step(name="d")[0]
    assert step.phase == "Failed"
    assert time.time() - t0 < 60
