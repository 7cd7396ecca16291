"""Dflow scripts run as scripts: ``python script.py`` in debug mode, classes in ``__main__``.

Dflow's documented behaviour these check: ``dflow.python.upload_packages`` is a list scripts
append to; a value of a class the script itself defines (a BigParameter or a typed parameter)
reaches the OP as that class and comes back as it; a debug-mode script shows what its steps
print.
"""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]


def run_script(tmp_path: Path, source: str) -> subprocess.CompletedProcess:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source))
    env = dict(os.environ, DFLOW_MODE="debug", PYTHONPATH=str(PROJECT))
    env.pop("DFLOW_HOST", None)
    env.pop("DFLOW_DEBUG_WORKDIR", None)
    return subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def test_classes_of_the_script_reach_the_op_and_come_back(tmp_path):
    done = run_script(tmp_path, """
        from dflow_nb import Step, Workflow
        from dflow_nb.python import (OP, OPIO, BigParameter, OPIOSign, Parameter,
                                     PythonOPTemplate, upload_packages)

        upload_packages.append(__file__)

        class Hello:
            def __init__(self, msg):
                self.msg = msg

        class Twice(OP):
            @classmethod
            def get_input_sign(cls):
                return OPIOSign({"big": BigParameter(Hello), "small": Parameter(Hello)})

            @classmethod
            def get_output_sign(cls):
                return OPIOSign({"big": BigParameter(Hello), "small": Hello})

            @OP.exec_sign_check
            def execute(self, op_in):
                assert type(op_in["big"]).__name__ == "Hello", op_in["big"]
                return OPIO({"big": Hello(op_in["big"].msg * 2),
                             "small": Hello(op_in["small"].msg * 3)})

        wf = Workflow("main-classes")
        first = Step("first", PythonOPTemplate(Twice),
                     parameters={"big": Hello("a"), "small": Hello("b")})
        second = Step("second", PythonOPTemplate(Twice),
                      parameters={"big": first.outputs.parameters["big"],
                                  "small": first.outputs.parameters["small"]})
        wf.add(first)
        wf.add(second)
        wf.submit()
        assert wf.query_status() == "Succeeded", wf.query_step(phase="Failed")
        out = wf.query_step(name="second")[0].outputs.parameters
        print("RESULT", type(out["big"].value).__name__, out["big"].value.msg,
              type(out["small"].value).__name__, out["small"].value.msg)
    """)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "RESULT Hello aaaa Hello bbbbbbbbb" in done.stdout


def test_a_debug_mode_script_shows_what_its_steps_print(tmp_path):
    done = run_script(tmp_path, """
        from dflow_nb import ShellOPTemplate, Step, Workflow
        from dflow_nb.python import OP, OPIO, OPIOSign, PythonOPTemplate

        class Speak(OP):
            @classmethod
            def get_input_sign(cls):
                return OPIOSign({"n": int})

            @classmethod
            def get_output_sign(cls):
                return OPIOSign()

            @OP.exec_sign_check
            def execute(self, op_in):
                print("the OP says", op_in["n"] * 21)
                return OPIO()

        wf = Workflow("echo")
        wf.add(Step("op", PythonOPTemplate(Speak), parameters={"n": 2}))
        wf.add(Step("shell", ShellOPTemplate(name="shout", script="echo the shell says hi")))
        wf.submit()
        print("PHASE", wf.query_status())
    """)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "the OP says 42" in done.stdout
    assert "the shell says hi" in done.stdout
    assert done.stdout.index("the OP says 42") < done.stdout.index("PHASE Succeeded")


def test_upload_packages_is_a_list_the_argo_compiler_ships(tmp_path):
    from dflow_nb import Step, Workflow
    from dflow_nb.argo.compile import uploads_of
    from dflow_nb.python import OP, OPIO, OPIOSign, PythonOPTemplate, upload_packages

    class Noop(OP):
        @classmethod
        def get_input_sign(cls):
            return OPIOSign()

        @classmethod
        def get_output_sign(cls):
            return OPIOSign()

        @OP.exec_sign_check
        def execute(self, op_in):
            return OPIO()

    module = tmp_path / "my_module.py"
    module.write_text("X = 1\n")
    package = tmp_path / "my_pkg"
    package.mkdir()
    saved = list(upload_packages)
    try:
        upload_packages.append(str(module))
        upload_packages(str(package))         # the call form keeps working
        assert isinstance(upload_packages, list)
        assert upload_packages[-2:] == [str(module), str(package)]
        wf = Workflow("pkgs")
        wf.add(Step("noop", PythonOPTemplate(Noop)))
        shipped = [p for paths in uploads_of(wf.to_dict()).values() for p in paths]
        assert str(module) in shipped and str(package) in shipped
    finally:
        upload_packages[:] = saved
