"""A script run in debug mode shows what its steps print (tests/compat/test_scripts.py); inside a
Jupyter kernel the cell does not: the live view's log pane shows it, and ``wf.logs()`` has it."""


def test_step_output_stays_out_of_the_cell_in_a_kernel(run_notebook):
    ran = run_notebook([
        ("define", "from dflow_nb import Step, Workflow\n"
                   "from dflow_nb.python import OP, OPIO, OPIOSign, PythonOPTemplate\n"
                   "class Speak(OP):\n"
                   "    @classmethod\n"
                   "    def get_input_sign(cls): return OPIOSign()\n"
                   "    @classmethod\n"
                   "    def get_output_sign(cls): return OPIOSign()\n"
                   "    def execute(self, op_in):\n"
                   "        print('marker-from-the-op')\n"
                   "        return OPIO()\n"),
        ("submit", "wf = Workflow('kernel-echo')\n"
                   "wf.add(Step('speak', PythonOPTemplate(Speak)))\n"
                   "wf.submit(wait=True)\n"
                   "print(wf.query_status())"),
        ("logs", "print(wf.logs('speak'))"),
    ])
    assert "Succeeded" in ran.text("submit")
    assert "marker-from-the-op" not in ran.text("submit")
    assert "marker-from-the-op" in ran.text("logs")
