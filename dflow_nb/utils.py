"""Dflow's ``dflow.utils``: the helpers scripts import from it (``from dflow_nb.utils import
set_directory, run_command, catalog_of_artifact``), plus the artifact functions it re-exports."""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path
from typing import IO, Any, Iterator, List, Optional, Tuple, Union

from dflow_nb.hub.artifacts import (
    catalog_of_artifact,
    copy_artifact,
    download_artifact,
    path_list_of_artifact,
    path_object_of_artifact,
    upload_artifact,
)
from dflow_nb.hub.objects import copy_s3, download_s3, upload_s3
from dflow_nb.model.names import randstr
from dflow_nb.storage import file_md5 as get_md5


@contextlib.contextmanager
def set_directory(dirname: Union[str, "os.PathLike[str]"], mkdir: bool = False) -> Iterator[Path]:
    """Work in ``dirname`` (made first with ``mkdir``) for the ``with`` block; yields its
    absolute path and returns to the previous directory afterwards, even on error."""
    previous = os.getcwd()
    path = Path(dirname).resolve()
    if mkdir:
        path.mkdir(parents=True, exist_ok=True)
    os.chdir(path)
    try:
        yield path
    finally:
        os.chdir(previous)


def run_command(cmd: Union[str, List[Any]], raise_error: bool = True, input: Optional[str] = None,
                try_bash: bool = False, login: bool = True, interactive: bool = True,
                shell: bool = False, print_oe: bool = False,
                stdout: Optional[IO[str]] = None, stderr: Optional[IO[str]] = None,
                **kwargs: Any) -> Tuple[int, str, str]:
    """Run a command; returns ``(return code, stdout, stderr)``.

    ``cmd``: a list, or a string split on whitespace (run as given with ``shell=True``);
    ``input``: text for its stdin; ``try_bash``: run it through ``bash -c`` (``-lc`` when
    ``login`` and ``interactive``) where bash exists; ``print_oe``: also show its output here
    (or give ``stdout``/``stderr`` streams). A non-zero code raises AssertionError with the
    command's stderr unless ``raise_error`` is False. Other keywords go to ``subprocess.Popen``.
    """
    if isinstance(cmd, str):
        args: Union[str, List[str]] = cmd if shell else cmd.split()
    else:
        args = [str(c) for c in cmd]
    if try_bash:
        line = args if isinstance(args, str) else subprocess.list2cmdline(args)
        flag = "-lc" if login and interactive else "-c"
        args, shell = ["bash", flag, line] if _has_bash() else ["sh", "-c", line], False
    if print_oe:
        stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    with subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, shell=shell, text=True, **kwargs) as proc:
        out, err = proc.communicate(input)
    if stdout is not None:
        stdout.write(out)
    if stderr is not None:
        stderr.write(err)
    if raise_error:
        assert proc.returncode == 0, f"Command {args} failed (exit code {proc.returncode}):\n{err}"
    return proc.returncode, out, err


def _has_bash() -> bool:
    import shutil
    return shutil.which("bash") is not None


__all__ = ["catalog_of_artifact", "copy_artifact", "copy_s3", "download_artifact", "download_s3",
           "get_md5", "path_list_of_artifact", "path_object_of_artifact", "randstr",
           "run_command", "set_directory", "upload_artifact", "upload_s3"]
