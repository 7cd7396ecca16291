"""OP signatures: which inputs/outputs an OP has, of which types, and which are artifacts."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Generic, List, Optional, Set, TypeVar, get_args, get_origin

_NO_DEFAULT: Any = object()
T = TypeVar("T")


class NestedDict(dict, Generic[T]):
    """An artifact that is a nested dict of paths: ``Artifact(NestedDict[Path])``."""


ARTIFACT_TYPES = (str, Path)


def _artifact_type_ok(tp: Any) -> bool:
    if tp in ARTIFACT_TYPES:
        return True
    origin, args = get_origin(tp), get_args(tp)
    if origin in (list, set, List, Set) and args and args[0] in ARTIFACT_TYPES:
        return True
    if origin in (dict, Dict) and len(args) == 2 and args[1] in ARTIFACT_TYPES:
        return True
    if origin is NestedDict or tp is NestedDict:
        return True
    return False


class HDF5Datasets:
    """Dflow's ``Artifact(HDF5Datasets)``: outputs packed into one HDF5 file (h5py). dflow_nb
    keeps artifacts as files with a catalog and does not pack them: using it says so."""


class Artifact:
    """An input/output that is files: a path, or a list/set/dict/nested dict of paths."""

    def __init__(self, type: Any, archive: str = "default", save: Optional[List[Any]] = None,
                 optional: bool = False, global_name: Optional[str] = None,
                 sub_path: bool = True, **kwargs: Any) -> None:
        if type is HDF5Datasets:
            raise NotImplementedError("Artifact(HDF5Datasets) packs outputs into an HDF5 file, "
                                      "which dflow_nb does not do: declare Artifact(Path), "
                                      "Artifact(List[Path]) or Artifact(Dict[str, Path])")
        if not _artifact_type_ok(type):
            raise TypeError(f"Artifact type must be str, Path, List/Set/Dict of them or "
                            f"NestedDict, given {type!r}")
        self.type = type
        self.archive = archive
        self.save = save
        self.optional = optional
        self.global_name = global_name
        self.sub_path = sub_path
        for k, v in kwargs.items():
            setattr(self, k, v)

    def __repr__(self) -> str:
        return f"Artifact({_name(self.type)}{', optional' if self.optional else ''})"


class Parameter:
    """An input/output value with a type and maybe a default (``Parameter(int, default=1)``)."""

    def __init__(self, type: Any, global_name: Optional[str] = None, **kwargs: Any) -> None:
        self.type = type
        self.global_name = global_name
        self.default = kwargs.pop("default", _NO_DEFAULT)
        for k, v in kwargs.items():
            setattr(self, k, v)

    @property
    def has_default(self) -> bool:
        return self.default is not _NO_DEFAULT

    def __repr__(self) -> str:
        extra = f", default={self.default!r}" if self.has_default else ""
        return f"{type(self).__name__}({_name(self.type)}{extra})"


class BigParameter(Parameter):
    """A parameter too big for Argo's parameters: it travels as an artifact."""


def _name(tp: Any) -> str:
    return tp.__name__ if isinstance(tp, type) else str(tp).replace("typing.", "")


class OPIOSign(Dict[str, Any]):
    """``{name: type | Parameter | BigParameter | Artifact}``."""


class OPIO(Dict[str, Any]):
    """The values an OP receives or returns, by name."""


__all__ = ["Artifact", "BigParameter", "HDF5Datasets", "NestedDict", "OPIO", "OPIOSign",
           "Parameter"]
