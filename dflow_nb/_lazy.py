"""A package's public names imported on first use (PEP 562 ``__getattr__``), so a process
loads only what it uses (a warm worker: the OP runner, not the workflow model)."""
from __future__ import annotations

import importlib
import sys
from typing import Any, Callable, Dict, List, Optional, Tuple


def lazy_exports(package: str, exports: Dict[str, str], aliases: Optional[Dict[str, str]] = None
                 ) -> Tuple[Callable[[str], Any], Callable[[], List[str]]]:
    """The package's ``__getattr__`` and ``__dir__`` for ``exports`` (module -> its names,
    space-separated) and ``aliases`` (old name -> the name it stands for)."""
    table = {name: module for module, names in exports.items() for name in names.split()}
    renamed = aliases or {}
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> Any:
        target = renamed.get(name, name)
        module = table.get(target)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), target)
        namespace[name] = value   # the next lookup finds it without coming here
        return value

    def __dir__() -> List[str]:
        return sorted(set(namespace) | set(table) | set(renamed))

    return __getattr__, __dir__
