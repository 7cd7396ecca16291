"""Artifact previews: a step's files shown as data, never run or rendered as markup.

Text and JSON are sent as text (the first 64 KiB), CSV as a small table, images only as the
raster types browsers draw without script (PNG, JPEG, GIF, WebP) and recognised by their first
bytes, not by their name. SVG and everything else is "binary": offered as a download with a
neutral content type. A path inside an artifact is resolved under the artifact's own folder;
``..``, absolute paths and links leading out are refused.
"""
from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

TEXT_CAP = 64 * 1024
CSV_ROWS = 100
DIR_FILES = 200
RAW_CAP = 50 * 1024 * 1024
WALK_CAP = 10_000
IMAGE_MAGIC: Tuple[Tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"))


class PreviewError(ValueError):
    """A path that is not inside the artifact, or a file too large to send."""


def image_type(head: bytes) -> Optional[str]:
    """The image content type of these first bytes (WebP: RIFF....WEBP), else None."""
    for magic, ctype in IMAGE_MAGIC:
        if head.startswith(magic):
            return ctype
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def file_kind(path: Path) -> str:
    """text, json, csv, image or binary, from the file's bytes (and its suffix for json/csv)."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if image_type(head):
        return "image"
    if b"\x00" in head:
        return "binary"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:   # not only a character cut at the end of the sample
            return "binary"
    suffix = path.suffix.lower()
    if suffix == ".json":
        return "json"
    if suffix in (".csv", ".tsv"):
        return "csv"
    if suffix == ".svg" or head.lstrip().startswith((b"<svg", b"<?xml")):
        return "binary"   # markup that could run script: download only
    return "text"


def _walk(root: Path) -> List[Path]:
    """The files under ``root`` (links leading out of it are left out)."""
    out: List[Path] = []
    top = root.resolve()
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        for name in sorted(filenames):
            f = Path(dirpath) / name
            if top not in f.resolve().parents or not f.is_file():
                continue
            out.append(f)
            if len(out) >= WALK_CAP:
                return out
    return out


def artifact_info(paths: Sequence[str]) -> Dict[str, Any]:
    """Size, file count and kind of an artifact's files on this machine."""
    roots = [Path(p) for p in paths if p]
    if not roots or not all(r.exists() for r in roots):
        return {"size": None, "files": None, "kind": "missing"}
    if len(roots) == 1 and roots[0].is_file():
        return {"size": roots[0].stat().st_size, "files": 1, "kind": file_kind(roots[0])}
    files = [f for r in roots for f in ([r] if r.is_file() else _walk(r))]
    if len(files) == 1:
        return {"size": files[0].stat().st_size, "files": 1, "kind": file_kind(files[0])}
    return {"size": sum(f.stat().st_size for f in files if f.is_file()), "files": len(files),
            "kind": "directory"}


@dataclass
class Picked:
    """One file of an artifact: where it is and how it is shown."""

    path: Path
    shown: str
    kind: str
    size: int


def pick(paths: Sequence[str], rel: str = "") -> Optional[Picked]:
    """The file ``rel`` of the artifact (its only file when ``rel`` is empty); None when the
    artifact is a folder and no file was named."""
    roots = [Path(p).resolve() for p in paths if p]
    if not roots or not any(r.exists() for r in roots):
        raise FileNotFoundError("the artifact's files are not on this machine")
    if rel:
        parts = Path(rel).parts
        if Path(rel).is_absolute() or ".." in parts:
            raise PreviewError(f"{rel!r} is not a path inside the artifact")
        for root in roots:
            base = root if root.is_dir() else root.parent
            cand = (base / rel).resolve()
            if (cand == root or base in cand.parents) and cand.is_file():
                return Picked(cand, rel, file_kind(cand), cand.stat().st_size)
        raise FileNotFoundError(f"the artifact has no file {rel!r}")
    files = [f for r in roots for f in ([r] if r.is_file() else _walk(r))]
    if len(files) != 1:
        return None
    f = files[0]
    return Picked(f, f.name, file_kind(f), f.stat().st_size)


def preview(name: str, paths: Sequence[str], rel: str = "") -> Dict[str, Any]:
    """The artifact (or one of its files) as the preview JSON of the view contract."""
    one = pick(paths, rel)
    if one is None:
        roots = [Path(p).resolve() for p in paths if p]
        listing: List[Dict[str, Any]] = []
        for root in roots:
            for f in _walk(root) if root.is_dir() else [root]:
                listing.append({"path": str(f.relative_to(root if root.is_dir() else root.parent)),
                                "size": f.stat().st_size, "kind": file_kind(f)})
                if len(listing) >= DIR_FILES:
                    break
        total = sum(int(x["size"]) for x in listing)
        return {"name": name, "kind": "directory", "size": total, "path": "",
                "files": listing, "truncated": len(listing) >= DIR_FILES}
    out: Dict[str, Any] = {"name": name, "kind": one.kind, "size": one.size, "path": one.shown,
                           "truncated": False}
    if one.kind == "image":
        with open(one.path, "rb") as fh:
            out["contentType"] = image_type(fh.read(16))
        return out
    if one.kind == "binary":
        return out
    with open(one.path, "rb") as fh:
        data = fh.read(TEXT_CAP)
    text = data.decode("utf-8", errors="replace")
    out["truncated"] = one.size > TEXT_CAP
    if one.kind == "json" and not out["truncated"]:
        try:
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except ValueError:
            out["kind"] = "text"
    if one.kind == "csv":
        dialect = "excel-tab" if one.path.suffix.lower() == ".tsv" else "excel"
        rows = list(_rows(text, dialect))
        out["table"] = {"columns": rows[0] if rows else [], "rows": rows[1:CSV_ROWS + 1],
                        "truncated": out["truncated"] or len(rows) > CSV_ROWS + 1}
    out["text"] = text
    return out


def _rows(text: str, dialect: str) -> List[List[str]]:
    rows: List[List[str]] = []
    for row in csv.reader(io.StringIO(text), dialect=dialect):
        rows.append(row)
        if len(rows) > CSV_ROWS + 1:
            break
    return rows


def raw(paths: Sequence[str], rel: str = "") -> Tuple[Path, str, bool]:
    """(file, content type, inline?) for sending one file's bytes: images inline with their
    type, everything else as an ``application/octet-stream`` attachment."""
    one = pick(paths, rel)
    if one is None:
        raise PreviewError("the artifact is a folder: name one of its files with path=")
    if one.size > RAW_CAP:
        raise PreviewError(f"{one.shown} is {one.size} bytes, over the {RAW_CAP} bytes a "
                           "preview sends; download_artifact() it in a notebook")
    if one.kind == "image":
        with open(one.path, "rb") as fh:
            ctype = image_type(fh.read(16)) or "application/octet-stream"
        return one.path, ctype, True
    return one.path, "application/octet-stream", False
