"""PythonOPTemplate: a script leaf that carries its OP, and Slices for fan-out over inputs."""
from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Type, TypeVar, Union

from dflow_nb.model.io import InputArtifact, InputParameter, OutputArtifact, OutputParameter
from dflow_nb.model.names import kebab, randstr
from dflow_nb.model.templates import ScriptOPTemplate
from dflow_nb.python.opio import Artifact, BigParameter, Parameter

if TYPE_CHECKING:
    from dflow_nb.python.op import OP

# Exit codes of the OP runner, as in Dflow: a retry expression keys on them.
EXIT_TRANSIENT = 1
EXIT_FATAL = 2

T = TypeVar("T")


class Slices:
    """Fan a step out over list inputs: each slice gets one element (or a group of them)."""

    def __init__(self, slices: Optional[str] = None,
                 input_parameter: Optional[List[str]] = None,
                 input_artifact: Optional[List[str]] = None,
                 output_parameter: Optional[List[str]] = None,
                 output_artifact: Optional[List[str]] = None,
                 sub_path: bool = False, group_size: Optional[int] = None,
                 pool_size: Optional[int] = None, register_first_only: bool = False,
                 create_dir: bool = False, shuffle: bool = False, random_seed: int = 0,
                 raise_for_group: bool = False, **kwargs: Any) -> None:
        if kwargs:
            raise TypeError(f"Slices got unexpected arguments: {', '.join(kwargs)}")
        if group_size is not None and group_size < 1:
            raise ValueError(f"Slices group_size must be >= 1, given {group_size}")
        if pool_size is not None and pool_size < 1 and pool_size != -1:
            raise ValueError(f"Slices pool_size must be >= 1 (or -1), given {pool_size}")
        self.slices = slices if slices is not None else "{{item}}"
        self.input_parameter = list(input_parameter or [])
        self.input_artifact = list(input_artifact or [])
        self.output_parameter = list(output_parameter or [])
        self.output_artifact = list(output_artifact or [])
        self.sub_path = sub_path
        self.group_size = group_size
        self.pool_size = pool_size
        self.register_first_only = register_first_only
        self.create_dir = create_dir
        self.shuffle = shuffle
        self.random_seed = random_seed
        self.raise_for_group = raise_for_group

    def __repr__(self) -> str:
        parts = [f"{k}={v!r}" for k, v in vars(self).items() if v not in (None, [], False, 0)]
        return f"Slices({', '.join(parts)})"


def slice_groups(indices: Iterable[T], group_size: int, shuffle: bool = False,
                 random_seed: int = 0) -> List[List[T]]:
    """``Slices(group_size=..., shuffle=..., random_seed=...)``: the slices of each group.

    The engine, an executor's rendered script and an Argo pod each work out the groups of a
    fan-out on their own; computing them here keeps the k-th group the same everywhere.
    """
    order = list(indices)
    if shuffle:
        random.Random(random_seed).shuffle(order)
    return [order[k:k + group_size] for k in range(0, len(order), group_size)]


def _retry_strategy(on_transient: Optional[int], on_failure: Optional[int],
                    on_error: Optional[int], on_both: Optional[int],
                    timeout_as_transient: bool) -> Optional[Dict[str, Any]]:
    """Dflow's retry options as an Argo retryStrategy (limit as a string, as the schema wants)."""
    if on_transient is not None:
        op = "!=" if timeout_as_transient else "=="
        code = EXIT_FATAL if timeout_as_transient else EXIT_TRANSIENT
        return {"limit": str(on_transient), "retryPolicy": "Always",
                "expression": f"asInt(lastRetry.exitCode) {op} {code}"}
    for limit, policy in ((on_failure, "OnFailure"), (on_error, "OnError"),
                          (on_both, "Always")):
        if limit is not None:
            return {"limit": str(limit), "retryPolicy": policy}
    return None


class PythonOPTemplate(ScriptOPTemplate):
    """Runs an OP: inputs/outputs come from its signs, the OP object rides along."""

    default_command = ["python3"]

    def __init__(self, op_class: Union[Type["OP"], "OP"], image: Optional[str] = None,
                 command: Union[str, List[str], None] = None,
                 output_artifact_save: Optional[Dict[str, Any]] = None,
                 output_artifact_archive: Optional[Dict[str, Any]] = None,
                 output_parameter_default: Optional[Dict[str, Any]] = None,
                 input_artifact_slices: Optional[Dict[str, str]] = None,
                 input_parameter_slices: Optional[Dict[str, str]] = None,
                 output_artifact_slices: Optional[Dict[str, str]] = None,
                 output_parameter_slices: Optional[Dict[str, str]] = None,
                 output_artifact_global_name: Optional[Dict[str, str]] = None,
                 output_parameter_global_name: Optional[Dict[str, str]] = None,
                 slices: Optional[Slices] = None, python_packages: Optional[List[str]] = None,
                 timeout: Optional[int] = None, retry_on_transient_error: Optional[int] = None,
                 retry_on_failure: Optional[int] = None, retry_on_error: Optional[int] = None,
                 retry_on_failure_and_error: Optional[int] = None,
                 timeout_as_transient_error: bool = False, memoize_key: Optional[str] = None,
                 volumes: Optional[list] = None, mounts: Optional[list] = None,
                 image_pull_policy: Optional[str] = None, requests: Optional[Dict[str, str]] = None,
                 limits: Optional[Dict[str, str]] = None, upload_dflow: bool = True,
                 envs: Optional[Dict[str, Any]] = None, init_containers: Optional[list] = None,
                 sidecars: Optional[list] = None, tmp_root: str = "/tmp",
                 pre_script: str = "", post_script: str = "", name: Optional[str] = None,
                 retry_strategy: Optional[Dict[str, Any]] = None,
                 **kwargs: Any) -> None:
        op_cls: Type[OP] = op_class if isinstance(op_class, type) else type(op_class)
        self.op = op_class
        self.op_class = op_cls
        if name is None:
            name = kebab(op_cls.__name__).lower()[:100] + "-" + randstr()
        strategy = retry_strategy or _retry_strategy(
            retry_on_transient_error, retry_on_failure, retry_on_error,
            retry_on_failure_and_error, timeout_as_transient_error)
        super().__init__(name=name, image=image, command=command, volumes=volumes,
                         mounts=mounts, timeout=timeout, retry_strategy=strategy,
                         memoize_key=memoize_key, image_pull_policy=image_pull_policy,
                         requests=requests, limits=limits, envs=envs,
                         init_containers=init_containers, sidecars=sidecars, **kwargs)
        self.python_packages = list(python_packages or [])
        self.upload_dflow = upload_dflow
        self.tmp_root = tmp_root
        self.pre_script = pre_script
        self.post_script = post_script
        self.retry_on_transient_error = retry_on_transient_error
        self.timeout_as_transient_error = timeout_as_transient_error
        self.slices = slices
        for legacy, field in ((input_parameter_slices, "input_parameter"),
                              (input_artifact_slices, "input_artifact"),
                              (output_parameter_slices, "output_parameter"),
                              (output_artifact_slices, "output_artifact")):
            if legacy:
                self.slices = self.slices or Slices()
                getattr(self.slices, field).extend(legacy)
        self._declare_io(output_artifact_save or {}, output_artifact_archive or {},
                         output_parameter_default or {}, output_artifact_global_name or {},
                         output_parameter_global_name or {})
        self._check_slices()

    def _declare_io(self, save: Dict[str, Any], archive: Dict[str, Any],
                    param_default: Dict[str, Any], art_global: Dict[str, str],
                    param_global: Dict[str, str]) -> None:
        root = self.tmp_root
        for name, sign in self.op_class.get_input_sign().items():
            if isinstance(sign, Artifact):
                self.inputs.artifacts[name] = InputArtifact(
                    path=f"{root}/inputs/artifacts/{name}", optional=sign.optional,
                    type=sign.type)
            else:
                kw: Dict[str, Any] = {"type": getattr(sign, "type", sign)}
                if isinstance(sign, Parameter) and sign.has_default:
                    kw["value"] = sign.default
                kw["save_as_artifact"] = isinstance(sign, BigParameter)
                self.inputs.parameters[name] = InputParameter(**kw)
        for name, sign in self.op_class.get_output_sign().items():
            if isinstance(sign, Artifact):
                self.outputs.artifacts[name] = OutputArtifact(
                    path=f"{root}/outputs/artifacts/{name}", type=sign.type,
                    save=save.get(name, sign.save), archive=archive.get(name, sign.archive),
                    global_name=art_global.get(name, sign.global_name))
            else:
                kw = {"type": getattr(sign, "type", sign),
                      "value_from_path": f"{root}/outputs/parameters/{name}",
                      "global_name": param_global.get(name, getattr(sign, "global_name", None)),
                      "save_as_artifact": isinstance(sign, BigParameter)}
                if name in param_default:
                    kw["default"] = param_default[name]
                elif isinstance(sign, Parameter) and sign.has_default:
                    kw["default"] = sign.default
                self.outputs.parameters[name] = OutputParameter(**kw)

    def _check_slices(self) -> None:
        s = self.slices
        if s is None:
            return
        for names, declared, what in (
                (s.input_parameter, self.inputs.parameters, "input parameter"),
                (s.input_artifact, self.inputs.artifacts, "input artifact"),
                (s.output_parameter, self.outputs.parameters, "output parameter"),
                (s.output_artifact, self.outputs.artifacts, "output artifact")):
            for n in names:
                if n not in declared:
                    raise ValueError(f"Slices of {self.name!r} name {what} {n!r}, which OP "
                                     f"{self.op_class.__name__} does not declare "
                                     f"(its {what}s: {', '.join(declared) or 'none'})")


class PackageList(List[str]):
    """Dflow's ``upload_packages``: a list of local packages (or module files) shipped with every
    Python OP of an Argo workflow; the local engine imports them in place.

    Dflow scripts ``upload_packages.append(__file__)``; calling it (``upload_packages(path,
    ...)``) extends it too.
    """

    def __call__(self, *paths: str) -> None:
        self.extend(paths)


upload_packages = PackageList()


def uploaded_packages() -> List[str]:
    """The packages ``upload_packages`` names, for every Python OP of an Argo workflow."""
    return [str(p) for p in upload_packages]
