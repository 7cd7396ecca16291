"""upload_artifact / download_artifact / S3Artifact against a real S3 server, with Dflow's semantics."""
import json
import tarfile
from pathlib import Path

import pytest

from dflow_nb import (
    S3Artifact,
    config,
    copy_artifact,
    download_artifact,
    path_list_of_artifact,
    path_object_of_artifact,
    s3_config,
    upload_artifact,
)
from dflow_nb.hub.artifacts import LocalArtifact, fetch_artifact
from dflow_nb.storage import LocalStorageClient, client_from_config, s3_mode


def _tree(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def test_s3_mode_selection(monkeypatch):
    """debug mode without debug_s3 stays local; an Argo host or debug_s3 means S3."""
    assert not s3_mode()
    monkeypatch.setitem(config, "debug_s3", True)
    assert s3_mode()
    monkeypatch.setitem(config, "debug_s3", False)
    monkeypatch.setitem(config, "mode", "default")
    monkeypatch.setitem(config, "host", "https://argo.example:2746")
    assert s3_mode()


def test_local_mode_unchanged(tmp_path):
    Path("a.txt").write_text("A")
    art = upload_artifact("a.txt")
    assert isinstance(art, LocalArtifact)
    assert S3Artifact(key="some/dir").local_path == "some/dir"


def test_file_round_trip(s3, tmp_path):
    Path("data").mkdir()
    Path("data/in.txt").write_text("hello")
    art = upload_artifact("data/in.txt")
    assert isinstance(art, S3Artifact) and art.local_path is None
    assert art.key.startswith("upload/") and art.key.endswith(".tgz")
    assert art.path_list == [{"order": [0], "path": "data/in.txt"}]
    # Dflow's layout: one top dir holding the file at its cwd-relative path plus the catalog
    client = client_from_config()
    client.download(art.key, str(tmp_path / "a.tgz"))
    with tarfile.open(tmp_path / "a.tgz") as tf:
        names = tf.getnames()
    top = art.key.rsplit("/", 1)[1][:-4]
    assert f"{top}/data/in.txt" in names
    assert any(n.startswith(f"{top}/.dflow/") and n.endswith(".json") for n in names)
    out = download_artifact(art, path=tmp_path / "dl")
    assert out == [str(tmp_path / "dl" / "data" / "in.txt")]
    assert Path(out[0]).read_text() == "hello"
    assert not (tmp_path / "dl" / ".dflow").exists()        # remove_catalog=True by default
    assert path_list_of_artifact(S3Artifact(key=art.key)) == ["data/in.txt"]


def test_directory_round_trip(s3, tmp_path):
    d = Path("results")
    (d / "sub").mkdir(parents=True)
    (d / "x.txt").write_text("X")
    (d / "sub" / "y.txt").write_text("Y")
    art = upload_artifact(d)
    out = download_artifact(art, path=tmp_path / "dl")
    assert out == [str(tmp_path / "dl" / "results")]
    assert _tree(tmp_path / "dl" / "results") == {"sub/y.txt": "Y", "x.txt": "X"}


def test_list_of_files_keeps_order(s3, tmp_path):
    for name in ("c", "a", "b"):
        Path(name + ".txt").write_text(name.upper())
    art = upload_artifact(["c.txt", "a.txt", "b.txt"])
    assert path_list_of_artifact(art) == ["c.txt", "a.txt", "b.txt"]
    fresh = S3Artifact(key=art.key)                        # no cached path_list: read from S3
    assert path_list_of_artifact(fresh) == ["c.txt", "a.txt", "b.txt"]
    out = download_artifact(fresh, path=tmp_path / "dl")
    assert [Path(p).name for p in out] == ["c.txt", "a.txt", "b.txt"]
    assert [Path(p).read_text() for p in out] == ["C", "A", "B"]
    # a slice picks catalog items, as with sliced inputs
    assert download_artifact(fresh[1], path=tmp_path / "one") == [str(tmp_path / "one" / "a.txt")]
    assert path_list_of_artifact(fresh[[2, 0]]) == ["b.txt", "c.txt"]


def test_dict_of_files_and_catalog_kept(s3, tmp_path):
    Path("p.txt").write_text("P")
    Path("q.txt").write_text("Q")
    art = upload_artifact({"first": "p.txt", "second": {"inner": "q.txt"}})
    assert path_object_of_artifact(S3Artifact(key=art.key)) == {"first": "p.txt", "second": {"inner": "q.txt"}}
    download_artifact(art, path=tmp_path / "dl", remove_catalog=False)
    cats = list((tmp_path / "dl" / ".dflow").glob("*.json"))
    assert len(cats) == 1
    assert [it["path"] for it in json.loads(cats[0].read_text())["items"]] == ["p.txt", "q.txt"]


def test_archive_none_uploads_plain_keys(s3, tmp_path):
    d = Path("d")
    d.mkdir()
    (d / "f.txt").write_text("F")
    Path("g.txt").write_text("G")
    art = upload_artifact([d, "g.txt"], archive=None)
    assert not art.key.endswith(".tgz")
    keys = client_from_config().list(art.key + "/", recursive=True)
    assert f"{art.key}/d/f.txt" in keys and f"{art.key}/g.txt" in keys
    assert any("/.dflow/" in k for k in keys)
    assert path_list_of_artifact(S3Artifact(key=art.key)) == ["d", "g.txt"]
    out = download_artifact(S3Artifact(key=art.key), path=tmp_path / "dl")
    assert out == [str(tmp_path / "dl" / "d"), str(tmp_path / "dl" / "g.txt")]
    assert _tree(tmp_path / "dl") == {"d/f.txt": "F", "g.txt": "G"}


def test_sub_path_extract_false_and_skip_exists(s3, tmp_path):
    d = Path("out")
    d.mkdir()
    (d / "keep.txt").write_text("new")
    (d / "other.txt").write_text("o")
    art = upload_artifact(d)
    got = download_artifact(art.sub_path("out/keep.txt"), path=tmp_path / "sp")
    assert got == [str(tmp_path / "sp" / "keep.txt")] and Path(got[0]).read_text() == "new"
    raw = download_artifact(art, path=tmp_path / "raw", extract=False)
    assert raw[0].endswith(".tgz") and tarfile.is_tarfile(raw[0])
    (tmp_path / "sk" / "out").mkdir(parents=True)
    (tmp_path / "sk" / "out" / "keep.txt").write_text("old")
    download_artifact(art, path=tmp_path / "sk", skip_exists=True)
    assert (tmp_path / "sk" / "out" / "keep.txt").read_text() == "old"
    assert (tmp_path / "sk" / "out" / "other.txt").read_text() == "o"


def test_prefix_copy_and_fetch(s3, monkeypatch, tmp_path):
    monkeypatch.setitem(s3_config, "prefix", "team-a/")
    Path("f.txt").write_text("F")
    art = upload_artifact("f.txt")
    assert art.key.startswith("team-a/upload/")
    assert S3Artifact(key="x/y").key == "team-a/x/y"       # Dflow auto-prefixes keys in S3 mode
    dup = copy_artifact(art, S3Artifact(key=art.key.replace("upload", "copies")))
    assert dup.key.startswith("team-a/copies/")
    root = fetch_artifact(dup, tmp_path / "fetched")
    assert (root / "f.txt").read_text() == "F" and (root / ".dflow").is_dir()
    d = Path("dd")
    d.mkdir()
    (d / "z.txt").write_text("Z")
    tree = upload_artifact(d, archive=None)
    copied = copy_artifact(tree, "team-a/tree-copy")
    assert path_list_of_artifact(S3Artifact(key=copied.key)) == ["dd"]


def test_missing_file_and_explicit_client(s3, tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        upload_artifact("nope.txt")
    Path("f.txt").write_text("F")
    store = LocalStorageClient(str(tmp_path / "store"))
    art = upload_artifact("f.txt", storage_client=store)
    assert (tmp_path / "store" / art.key).is_file()
    assert download_artifact(art, path=tmp_path / "dl", storage_client=store) == [str(tmp_path / "dl" / "f.txt")]


def test_artifact_from_a_tgz_made_like_argo(s3, tmp_path):
    """An Argo output artifact (``<name>.tgz`` of the path, no catalog) downloads as its files."""
    from dflow_nb.storage import make_tgz
    d = tmp_path / "result"
    d.mkdir()
    (d / "r.txt").write_text("R")
    client = client_from_config()
    client.upload("wf-1/wf-1-step-2/result.tgz", str(make_tgz(d, tmp_path / "result.tgz")))
    out = download_artifact({"name": "result", "s3": {"key": "wf-1/wf-1-step-2/result.tgz"}},
                            path=tmp_path / "dl")
    assert out == [str(tmp_path / "dl" / "r.txt")]
    assert path_list_of_artifact(S3Artifact(key="wf-1/wf-1-step-2/result.tgz")) == []


def test_catalog_written_by_dflow_is_read(s3, tmp_path):
    """An artifact made by pydflow (catalog ``.dflow/<uuid>`` with ``path_list``) lists in order."""
    client = client_from_config()
    f = tmp_path / "f"
    f.write_text("x")
    cat = tmp_path / "cat"
    cat.write_text(json.dumps({"path_list": [{"dflow_list_item": "b.txt", "order": 1},
                                             {"dflow_list_item": "a.txt", "order": 0}]}))
    for k in ("a.txt", "b.txt"):
        client.upload(f"from-dflow/art/{k}", str(f))
    client.upload("from-dflow/art/.dflow/0b6f5a0e-uuid", str(cat))
    assert path_list_of_artifact(S3Artifact(key="from-dflow/art")) == ["a.txt", "b.txt"]
