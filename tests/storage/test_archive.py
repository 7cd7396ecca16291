"""Argo-style tar.gz archives, and extraction that refuses tar-slip archives before writing anything."""
import io
import tarfile

import pytest

from dflow_nb.storage import (
    UnsafeArchiveError,
    archive_name,
    extract_as_artifact,
    make_tgz,
    output_artifact_key,
    render_key_format,
    safe_extract,
)


def _tar(path, members):
    """Craft a tarball: members are (name, kind, payload) with kind file|dir|sym|lnk|fifo|chr."""
    with tarfile.open(path, "w:gz") as tf:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                data = payload.encode()
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
                continue
            info.type = {"dir": tarfile.DIRTYPE, "sym": tarfile.SYMTYPE, "lnk": tarfile.LNKTYPE,
                         "fifo": tarfile.FIFOTYPE, "chr": tarfile.CHRTYPE}[kind]
            if kind in ("sym", "lnk"):
                info.linkname = payload
            tf.addfile(info)
    return path


def test_argo_layout_round_trip(tmp_path):
    """A directory is archived under its basename; a one-entry archive becomes the artifact path."""
    d = tmp_path / "result"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_text("A")
    (d / "sub" / "b.txt").write_text("B")
    (d / "rel-link").symlink_to("a.txt")
    tgz = make_tgz(d, tmp_path / "result.tgz")
    with tarfile.open(tgz) as tf:
        names = tf.getnames()
        assert all(n == "result" or n.startswith("result/") for n in names)
        assert tf.getmember("result/rel-link").isfile()   # links are stored as what they point to
    res = safe_extract(tgz, tmp_path / "out")
    assert res.top_level == ["result"]
    assert (tmp_path / "out" / "result" / "sub" / "b.txt").read_text() == "B"
    target = extract_as_artifact(tgz, tmp_path / "inputs" / "artifacts" / "x")
    assert sorted(p.name for p in target.iterdir()) == ["a.txt", "rel-link", "sub"]
    single = tmp_path / "one.txt"
    single.write_text("1")
    f = extract_as_artifact(make_tgz(single, tmp_path / "one.tgz"), tmp_path / "in" / "y")
    assert f.is_file() and f.read_text() == "1"


def test_key_layout():
    assert archive_name("result") == "result.tgz"
    assert archive_name("result", "zip") == "result.zip"
    assert archive_name("result", "none", "/tmp/outputs/data/") == "data"
    assert output_artifact_key("out", "wf-abc", "wf-abc-step-123") == "wf-abc/wf-abc-step-123/out.tgz"
    assert render_key_format("{{workflow.namespace}}/{{workflow.name}}/x", "wf", namespace="argo") == "argo/wf/x"
    import datetime as dt
    when = dt.datetime(2024, 3, 5, tzinfo=dt.timezone.utc)
    assert render_key_format("{{workflow.creationTimestamp.Y}}/{{workflow.creationTimestamp.m}}/"
                             "{{workflow.name}}", "wf", created=when) == "2024/03/wf"


MALICIOUS = {
    "absolute path": [("/tmp/evil.txt", "file", "x")],
    "dot-dot": [("a/../../evil.txt", "file", "x")],
    "leading dot-dot": [("../evil.txt", "file", "x")],
    "absolute symlink": [("link", "sym", "/etc")],
    "relative symlink escaping": [("d", "dir", ""), ("d/link", "sym", "../../outside")],
    "write through a symlink": [("link", "sym", ".."), ("link/evil.txt", "file", "x")],
    "symlink chain": [("a", "dir", ""), ("a/l1", "sym", ".."), ("a/l1/l2", "sym", "../x")],
    "hardlink outside": [("h", "lnk", "../../etc/passwd")],
    "hardlink absolute": [("h", "lnk", "/etc/passwd")],
    "hardlink to no member": [("h", "lnk", "not-there")],
    "link re-pointed later": [("x", "dir", ""), ("l1", "sym", "x/.."), ("x", "sym", ".")],
    "link below a linked dir": [("d", "dir", ""), ("e", "sym", "d"), ("e/f", "sym", "../..")],
    "symlink loop": [("a", "sym", "b"), ("b", "sym", "a"), ("a/f", "file", "x")],
    "fifo": [("pipe", "fifo", "")],
    "device": [("dev", "chr", "")],
}


@pytest.mark.parametrize("case", sorted(MALICIOUS))
def test_tar_slip_refused_before_anything_is_written(tmp_path, case):
    tgz = _tar(tmp_path / "evil.tgz", [("ok.txt", "file", "fine")] + MALICIOUS[case])
    dest = tmp_path / "box" / "dest"
    with pytest.raises(UnsafeArchiveError, match="refus"):
        safe_extract(tgz, dest)
    assert not dest.exists()   # checked as a whole first: nothing is created, not even ok.txt
    assert not (tmp_path / "box" / "evil.txt").exists() and not (tmp_path / "evil.txt").exists()


def test_preexisting_link_in_destination_is_not_written_through(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "sub").symlink_to(outside)
    tgz = _tar(tmp_path / "t.tgz", [("sub/evil.txt", "file", "x")])
    with pytest.raises(UnsafeArchiveError, match="outside"):
        safe_extract(tgz, dest)
    assert list(outside.iterdir()) == []


def test_safe_links_and_modes_are_kept(tmp_path):
    tgz = _tar(tmp_path / "t.tgz", [("d", "dir", ""), ("d/a.txt", "file", "A"),
                                     ("d/l", "sym", "a.txt"), ("d/up", "sym", "../d/a.txt"),
                                     ("d/h", "lnk", "d/a.txt")])
    safe_extract(tgz, tmp_path / "o")
    o = tmp_path / "o" / "d"
    assert (o / "l").is_symlink() and (o / "l").read_text() == "A"
    assert (o / "up").read_text() == "A" and (o / "h").read_text() == "A"


def test_setuid_bits_dropped(tmp_path):
    p = tmp_path / "s.tgz"
    with tarfile.open(p, "w:gz") as tf:
        info = tarfile.TarInfo("tool")
        info.size, info.mode = 2, 0o4755
        tf.addfile(info, io.BytesIO(b"#!"))
    safe_extract(p, tmp_path / "o")
    assert (tmp_path / "o" / "tool").stat().st_mode & 0o7777 == 0o755


def test_not_an_archive(tmp_path):
    p = tmp_path / "x.tgz"
    p.write_text("not a tarball")
    from dflow_nb.storage import StorageError
    with pytest.raises(StorageError, match="not a tar archive"):
        safe_extract(p, tmp_path / "o")
