"""How an artifact's files map to the value an OP sees (a path, a list, a dict of paths).

An artifact is a file or a directory. A directory may hold catalog files under ``.dflow/``, one
per producer, each listing the items it saved with their order (and keys for dicts). Merging two
artifacts is copying one directory over the other: catalogs never clash, so the slices of a
fanned-out step combine into one artifact whose list keeps slice order.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union, get_args, get_origin

CATALOG_DIR = ".dflow"


def read_catalog(root: Union[str, Path]) -> Optional[List[Dict[str, Any]]]:
    """The items of every catalog under ``root``, sorted by order; None if there is none."""
    cat = Path(root) / CATALOG_DIR
    if not cat.is_dir():
        return None
    items: List[Dict[str, Any]] = []
    for f in sorted(cat.iterdir()):
        if f.suffix == ".json":
            items.extend(json.loads(f.read_text())["items"])
    items.sort(key=lambda it: it["order"])
    return items


def write_catalog(root: Path, items: List[Dict[str, Any]]) -> None:
    cat = root / CATALOG_DIR
    cat.mkdir(parents=True, exist_ok=True)
    (cat / f"{os.urandom(16).hex()}.json").write_text(json.dumps({"items": items}))


def _relative(path: Path, cwd: Path) -> Path:
    """Where a returned path lands inside the artifact: relative paths keep their shape."""
    if path.is_absolute():
        try:
            return path.resolve().relative_to(cwd.resolve())
        except ValueError:
            return Path(*path.parts[1:])
    parts = [p for p in path.parts if p not in ("", ".")]
    if ".." in parts:
        return Path(path.name)
    return Path(*parts)


def copy_path(src: Path, dst: Path, method: str = "copy") -> None:
    """Copy (or link) a file or tree; existing directories are merged into."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        if method == "symlink":
            if not dst.exists():
                os.symlink(src.resolve(), dst)
                return
        copy_fn = os.link if method == "link" else shutil.copy2
        shutil.copytree(src, dst, dirs_exist_ok=True, symlinks=True,
                        copy_function=copy_fn)
    elif method == "symlink":
        if dst.exists() or dst.is_symlink():
            dst.unlink()
        os.symlink(src.resolve(), dst)
    elif method == "link":
        if dst.exists():
            dst.unlink()
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)
    else:
        shutil.copy2(src, dst)


def plan_items(value: Any, cwd: Path, order: Sequence[int] = (), prefix: str = "",
               what: str = "the OP returned") -> "tuple[List[Dict[str, Any]], List[tuple]]":
    """Catalog items for a returned value (a path, a list/set, a dict or nested dict of paths)
    and the (relative path, source) pairs to copy, in catalog order."""
    items: List[Dict[str, Any]] = []
    files: List[tuple] = []

    def add(v: Any, position: List[int], key: Any = None) -> None:
        item: Dict[str, Any] = {"order": [*order, *position]}
        if key is not None:
            item["key"] = key
        if v is None:
            item["path"] = None
        else:
            src = Path(v)
            if not (src.exists() or src.is_symlink()):
                raise FileNotFoundError(f"{what} {str(v)!r}, which does not exist")
            rel = Path(prefix) / _relative(src, cwd) if prefix else _relative(src, cwd)
            item["path"] = rel.as_posix()
            files.append((item["path"], src))
        items.append(item)

    if isinstance(value, dict):
        def walk(d: Dict[str, Any], keys: List[str], counter: List[int]) -> None:
            for k, v in d.items():
                if isinstance(v, dict):
                    walk(v, keys + [k], counter)
                else:
                    counter[0] += 1
                    add(v, [counter[0]], keys + [k] if keys else k)
        walk(value, [], [0])
    elif isinstance(value, (list, tuple, set)):
        seq = sorted(value, key=str) if isinstance(value, set) else value
        for i, v in enumerate(seq):
            add(v, [i])
    else:
        add(value, [0])
    return items, files


def save_output(value: Any, root: Path, cwd: Path, order: Sequence[int] = (),
                prefix: str = "") -> None:
    """Copy what an OP returned for an artifact into ``root`` and catalog it.

    ``prefix`` puts the files in a sub-directory (a slice's own directory with create_dir).
    """
    root.mkdir(parents=True, exist_ok=True)
    items, files = plan_items(value, cwd, order, prefix)
    for rel, src in files:
        copy_path(src, root / rel)
    write_catalog(root, items)


def load_input(root: Optional[Path], tp: Any) -> Any:
    """The value an OP sees for an input artifact placed at ``root``, shaped by its type."""
    if root is None:
        return None
    items = read_catalog(root) if root.is_dir() else None
    origin = get_origin(tp)
    as_str = tp is str or (get_args(tp) and get_args(tp)[-1] is str)
    conv = (lambda p: None if p is None else str(p)) if as_str else (lambda p: p)

    def resolve(item: Dict[str, Any]) -> Optional[Path]:
        return None if item["path"] is None else root / item["path"]

    if origin in (list, List, set) or tp in (list, set):
        paths: Sequence[Optional[Path]]
        if items is not None:
            paths = [resolve(it) for it in items]
        elif root.is_file():
            paths = [root]
        else:
            paths = sorted(p for p in root.iterdir() if p.name != CATALOG_DIR)
        out = [conv(p) for p in paths]
        return set(out) if origin is set or tp is set else out
    if origin in (dict, Dict) or tp is dict or _is_nested(tp):
        result: Dict[str, Any] = {}
        for it in items or []:
            key = it.get("key")
            if isinstance(key, list):
                node = result
                for k in key[:-1]:
                    node = node.setdefault(k, {})
                node[key[-1]] = conv(resolve(it))
            else:
                result[str(key)] = conv(resolve(it))
        return result
    if items is not None and len(items) == 1:
        return conv(resolve(items[0]))
    return conv(root)


def _is_nested(tp: Any) -> bool:
    from dflow_nb.python.opio import NestedDict
    return tp is NestedDict or get_origin(tp) is NestedDict


def artifact_items(root: Path) -> "tuple[List[Dict[str, Any]], Path]":
    """An artifact's items in order, and the directory their paths are relative to."""
    items = read_catalog(root) if root.is_dir() else None
    if items is not None:
        return items, root
    entries = [root] if root.is_file() else sorted(
        p for p in root.iterdir() if p.name != CATALOG_DIR)
    base = root if root.is_dir() else root.parent
    return [{"path": str(p.relative_to(base)), "order": [i]} for i, p in enumerate(entries)], base


def slice_items(root: Optional[Path], index: Union[int, List[int]], dest: Path,
                method: str = "copy",
                listing: "Optional[tuple[List[Dict[str, Any]], Path]]" = None) -> Optional[Path]:
    """A new artifact holding only the listed items of ``root`` (for sliced input artifacts).

    ``listing`` is ``artifact_items(root)`` when the caller already has it (a fan-out reads
    the catalog once, not once per slice).
    """
    if root is None:
        return None
    items, base = listing if listing is not None else artifact_items(root)
    wanted = index if isinstance(index, list) else [index]
    chosen = []
    for n, i in enumerate(wanted):
        if not 0 <= i < len(items):
            raise IndexError(f"slice {i} is out of range: the artifact has {len(items)} items")
        it = dict(items[i], order=[n])
        if it["path"] is not None:
            copy_path(base / it["path"], dest / it["path"], method)
        chosen.append(it)
    write_catalog(dest, chosen)
    return dest
