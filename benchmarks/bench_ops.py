"""OPs used by the benchmark workloads, written against Dflow's OP API.

The implementation is chosen by the ``BENCH_IMPL`` environment variable
(``dflow`` for pydflow, ``dflow_nb`` for this project), so the same class
definitions are used for both engines. The module must be importable by name
(``bench_ops``) in the step processes, which is why the OPs live in a file
instead of the workload script.
"""
import hashlib
import importlib
import os
from pathlib import Path
from typing import List

IMPL_NAME: str = os.environ.get("BENCH_IMPL", "dflow")
_python = importlib.import_module(IMPL_NAME + ".python")
OP = _python.OP
OPIO = _python.OPIO
OPIOSign = _python.OPIOSign
Artifact = _python.Artifact
Parameter = _python.Parameter

MB: int = 1024 * 1024


def payload(tag: str, size: int = MB) -> bytes:
    """Deterministic ``size``-byte payload that starts with ``tag``."""
    head = tag.encode()
    body = (bytes(range(256)) * (size // 256 + 1))[: size - len(head)]
    return head + body


def sha256(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


class Inc(OP):
    """Trivial OP: ``y = x + 1``."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"x": Parameter(int)})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"y": Parameter(int)})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        return OPIO({"y": op_in["x"] + 1})


@OP.function
def square(x: int) -> {"y": int}:
    """Function OP used by the fan-out workloads: ``y = x * x``."""
    return {"y": x * x}


class MakeFile(OP):
    """Diamond source: writes a ``size``-byte file tagged ``A``."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"size": Parameter(int, default=MB)})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"data": Artifact(Path)})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        out = Path("a.bin")
        out.write_bytes(payload("A", op_in["size"]))
        return OPIO({"data": out})


class Retag(OP):
    """Diamond middle: copies the input file, replacing its tag with ``tag``."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"data": Artifact(Path), "tag": Parameter(str)})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"out": Artifact(Path), "src_size": Parameter(int)})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        data = Path(op_in["data"]).read_bytes()
        if not data.startswith(b"A"):
            raise ValueError("unexpected input artifact content")
        tag: str = op_in["tag"]
        out = Path(tag + ".bin")
        out.write_bytes(tag.encode() + data[len(tag):])
        return OPIO({"out": out, "src_size": len(data)})


class Join(OP):
    """Diamond sink: reports size and SHA-256 of both input artifacts."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"left": Artifact(Path), "right": Artifact(Path)})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"sizes": Parameter(List[int]),
                         "digests": Parameter(List[str])})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        blobs = [Path(op_in[k]).read_bytes() for k in ("left", "right")]
        return OPIO({"sizes": [len(b) for b in blobs],
                     "digests": [sha256(b) for b in blobs]})


class CheckSquares(OP):
    """Fan-out sink: verifies the stacked slice outputs are ``[i*i]``."""

    @classmethod
    def get_input_sign(cls) -> OPIOSign:
        return OPIOSign({"ys": Parameter(List[int]), "n": Parameter(int)})

    @classmethod
    def get_output_sign(cls) -> OPIOSign:
        return OPIOSign({"count": Parameter(int), "total": Parameter(int)})

    @OP.exec_sign_check
    def execute(self, op_in: OPIO) -> OPIO:
        ys = [int(y) for y in op_in["ys"]]
        n: int = op_in["n"]
        if ys != [i * i for i in range(n)]:
            raise ValueError("stacked outputs are wrong: %r..." % ys[:10])
        return OPIO({"count": len(ys), "total": sum(ys)})
