"""The items of a Dflow checkout: which run on one machine, and their scripts.

An item is one file of Dflow's repository that a user would run:
``examples/*.py`` and ``tests/*.py`` as they are (with ``python FILE``, or
``python -m pytest FILE`` for a file of ``test_`` functions with no
``__main__`` block), ``tutorials/*.ipynb`` as a script made of the notebook's
code cells joined in order (IPython ``%``/``!`` lines of a cell that is not Python
commented out). Nothing of Dflow's is kept here: the runner reads a checkout the
user gives it.

"Runnable on one machine" means: needs no service that cannot be started on
a laptop. An item is left out, with the reason, when its text names one of
the markers in ``NEEDS`` (a Kubernetes cluster, the Bohrium cloud, a remote
HPC login node, a metadata service, command-line arguments).
"""
import json
import os
import re
from dataclasses import dataclass
from typing import List, Optional, Tuple

FOLDERS: Tuple[Tuple[str, str], ...] = (
    ("examples", ".py"), ("tests", ".py"), ("tutorials", ".ipynb"))

NEEDS: Tuple[Tuple[str, str], ...] = (
    (r"dflow\.plugins\.ray\b", "a Ray cluster on Kubernetes"),
    (r"dflow\.plugins\.(bohrium|datasets)\b",
     "the Bohrium cloud (account, datasets service)"),
    (r"dflow\.plugins\.metadata\b", "a Bohrium metadata (lineage) service"),
    (r"SlurmRemoteExecutor|SlurmJobTemplate",
     "Slurm reached from Kubernetes (remote executor / wlm-operator)"),
    (r"DispatcherExecutor\((?:[^()]|\([^()]*\))*\bhost\s*=",
     "an HPC login node reached over SSH (host, user, password)"),
    (r"\.pvc\(\s*\)",
     "a Kubernetes PersistentVolumeClaim shared by pods running together"),
    (r"OP_to_parser", "command-line arguments (it builds a CLI, runs no workflow)"),
)
"""(regex over the item's text, what it needs) -- first match wins."""

_FROM = re.compile(r"^(\s*)from\s+dflow(?=[.\s])", re.M)
_IMPORT = re.compile(r"^(\s*)import\s+dflow(?=[.\s,]|$)", re.M)
_MAIN = re.compile(r"^if\s+__name__\s*==\s*['\"]__main__['\"]", re.M)
_TEST_FUNC = re.compile(r"^def\s+test_", re.M)


@dataclass(frozen=True)
class Item:
    """One example, test or tutorial of a Dflow checkout."""

    name: str          # e.g. "examples/test_dag.py"
    path: str          # absolute path in the checkout
    needs: Optional[str]  # why it cannot run on one machine; None: runnable

    @property
    def runnable(self) -> bool:
        return self.needs is None

    def command(self, text: str) -> List[str]:
        """How a user runs this item's script ``text`` (after the interpreter)."""
        if not _MAIN.search(text) and _TEST_FUNC.search(text):
            return ["-m", "pytest", "-q", "-p", "no:cacheprovider", self.script_name]
        return [self.script_name]

    @property
    def script_name(self) -> str:
        """File name of the script the runner writes for this item."""
        stem = os.path.splitext(os.path.basename(self.name))[0]
        return re.sub(r"\W", "_", stem) + ".py"


def without_magics(cell: str) -> str:
    """A code cell as Python: kept as it is when it compiles (a line may well start with ``%``,
    the operator), else with its IPython ``%``/``!`` lines commented out."""
    try:
        compile(cell, "<cell>", "exec")
        return cell
    except SyntaxError:
        return "\n".join("# " + ln if ln.lstrip().startswith(("%", "!")) else ln
                         for ln in cell.splitlines())


def notebook_script(path: str) -> str:
    """The code cells of a notebook joined into a script."""
    with open(path, encoding="utf-8") as f:
        nb = json.load(f)
    cells = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        cells.append(without_magics("".join(src) if isinstance(src, list) else src))
    return "\n\n".join(cells) + "\n"


def source(item: Item) -> str:
    """The item's text as Dflow's user runs it (a notebook: its code cells)."""
    if item.path.endswith(".ipynb"):
        return notebook_script(item.path)
    with open(item.path, encoding="utf-8") as f:
        return f.read()


def rewrite_imports(text: str, package: str = "dflow_nb") -> str:
    """``s/dflow/<package>/`` in import statements only, nothing else."""
    text = _FROM.sub(lambda m: "%sfrom %s" % (m.group(1), package), text)
    return _IMPORT.sub(lambda m: "%simport %s" % (m.group(1), package), text)


def needs_of(text: str) -> Optional[str]:
    """What an item needs beyond one machine, or None."""
    for pattern, need in NEEDS:
        if re.search(pattern, text):
            return need
    return None


def find_items(checkout: str) -> List[Item]:
    """Every example, test and tutorial of a Dflow checkout, sorted by name."""
    items: List[Item] = []
    for folder, ext in FOLDERS:
        base = os.path.join(checkout, folder)
        if not os.path.isdir(base):
            continue
        for fname in sorted(os.listdir(base)):
            if not fname.endswith(ext) or fname.startswith("_"):
                continue
            path = os.path.join(base, fname)
            item = Item("%s/%s" % (folder, fname), path, None)
            items.append(Item(item.name, path, needs_of(source(item))))
    if not items:
        raise SystemExit("%s holds no examples/, tests/ or tutorials/: is it a "
                         "checkout of deepmodeling/dflow?" % checkout)
    return items
