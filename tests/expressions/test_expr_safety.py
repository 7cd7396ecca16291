"""The expressions module never hands user text to Python's eval/exec/compile."""
import ast
import pathlib

import dflow_nb.expressions as pkg


def test_no_eval_exec_or_compile_calls():
    forbidden = {"eval", "exec", "compile", "__import__"}
    for path in pathlib.Path(pkg.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in forbidden, f"{path.name}:{node.lineno}"


def test_python_syntax_is_not_evaluated():
    import pytest

    from dflow_nb.expressions import ExpressionError, evaluate
    for text in ("__import__('os')", "().__class__", "lambda: 1", "[x for x in y]"):
        with pytest.raises(ExpressionError):
            evaluate(text, {})
