"""Artifacts and requests outside the artifact store: HTTPArtifact, HTTPOPTemplate,
CustomArtifact (and DispatcherArtifact), and the raw object helpers upload_s3/download_s3/
copy_s3, against a real HTTP server on 127.0.0.1 and a real local store."""
import http.server
import io
import json
import tarfile
import threading
from pathlib import Path
from typing import List

import pytest

from dflow_nb import (
    CustomArtifact,
    HTTPArtifact,
    HTTPOPTemplate,
    Step,
    Workflow,
    config,
    copy_s3,
    download_s3,
    upload_s3,
)
from dflow_nb.plugins.dispatcher import DispatcherArtifact
from dflow_nb.python import OP, OPIO, Artifact, OPIOSign, PythonOPTemplate
from dflow_nb.storage import LocalStorageClient


class Handler(http.server.BaseHTTPRequestHandler):
    files = {}

    def do_GET(self):
        body = self.files.get(self.path.split("?")[0])
        self.send_response(200 if body is not None else 404)
        self.end_headers()
        self.wfile.write(body if body is not None else b"not here")

    def do_POST(self):
        size = int(self.headers.get("Content-Length") or 0)
        data = json.loads(self.rfile.read(size) or b"{}")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps({"sum": sum(data["xs"]),
                                     "auth": self.headers.get("X-Auth")}).encode())

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def tgz(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class ReadAll(OP):
    @classmethod
    def get_input_sign(cls):
        return OPIOSign({"src": Artifact(Path)})

    @classmethod
    def get_output_sign(cls):
        return OPIOSign({"text": str, "names": List[str]})

    @OP.exec_sign_check
    def execute(self, op_in):
        src = op_in["src"]
        files = sorted(src.rglob("*")) if src.is_dir() else [src]
        return OPIO({"text": "".join(f.read_text() for f in files if f.is_file()),
                     "names": [f.name for f in files]})


def read_all(art):
    wf = Workflow("read")
    wf.add(Step("read", PythonOPTemplate(ReadAll), artifacts={"src": art}))
    manifest = wf.to_dict()
    wf.submit()
    assert wf.query_status() == "Succeeded", wf.query_step(phase="Error")
    return manifest, wf.query_step(name="read")[0].outputs.parameters


def test_an_http_artifact_is_fetched_for_the_step(server):
    Handler.files["/data/hello.txt"] = b"hello over http"
    manifest, out = read_all(HTTPArtifact(f"{server}/data/hello.txt?sig=1"))
    assert out["text"].value == "hello over http"
    args = manifest["spec"]["templates"][0]["steps"][0][0]["arguments"]["artifacts"]
    assert args == [{"name": "src", "http": {"url": f"{server}/data/hello.txt?sig=1"}}]


def test_an_http_archive_is_unpacked(server):
    Handler.files["/pack.tgz"] = tgz({"d/a.txt": b"A", "d/b.txt": b"B"})
    _, out = read_all(HTTPArtifact(f"{server}/pack.tgz"))
    assert out["text"].value == "AB"


def test_an_http_artifact_that_is_missing_fails_the_step(server):
    wf = Workflow("missing")
    wf.add(Step("read", PythonOPTemplate(ReadAll),
                artifacts={"src": HTTPArtifact(f"{server}/nope")}))
    wf.submit()
    assert wf.query_status() != "Succeeded"
    assert "404" in wf.query_step(name="read")[0].message
    with pytest.raises(ValueError, match="http"):
        HTTPArtifact("ftp://example.org/x")


def test_an_http_template_sends_the_request_and_gives_the_body(server):
    call = HTTPOPTemplate(name="call", url=f"{server}/sum", method="POST",
                          headers={"X-Auth": "{{inputs.parameters.who}}"},
                          body='{"xs": {{inputs.parameters.xs}}}',
                          success_condition="response.statusCode == 200")
    call.inputs.parameters = {"xs": dflow_nb_input(), "who": dflow_nb_input()}
    wf = Workflow("http")
    step = Step("call", call, parameters={"xs": [1, 2, 3], "who": "me"})
    wf.add(step)
    manifest = wf.to_dict()
    http = [t for t in manifest["spec"]["templates"] if t["name"] == "call"][0]["http"]
    assert http["method"] == "POST" and http["successCondition"] == "response.statusCode == 200"
    wf.submit()
    got = wf.query_step(name="call")[0]
    assert got.phase == "Succeeded"
    assert json.loads(got.outputs.result) == {"sum": 6, "auth": "me"}


def test_an_http_template_fails_when_its_condition_does_not_hold(server):
    wf = Workflow("http-fail")
    wf.add([Step("get", HTTPOPTemplate(name="get", url=f"{server}/absent")),
            Step("cond", HTTPOPTemplate(
                name="cond", url=f"{server}/absent",
                success_condition="request.method == 'GET' && response.statusCode == 404"))])
    wf.submit()
    step = wf.query_step(name="get")[0]
    assert step.phase == "Failed" and "status code 404" in step.message
    assert wf.query_step(name="cond")[0].phase == "Succeeded"


def dflow_nb_input():
    from dflow_nb import InputParameter
    return InputParameter()


class Catalogue(CustomArtifact):
    def __init__(self, name):
        self.name = name

    def get_urn(self):
        return f"catalogue://{self.name}"

    @staticmethod
    def from_urn(urn):
        return Catalogue(urn.split("://", 1)[1])

    def download(self, name, path):
        Path(path).mkdir(parents=True)
        (Path(path) / "entry.txt").write_text(f"entry of {self.name}")


def test_a_custom_artifact_downloads_itself_for_the_step(monkeypatch):
    monkeypatch.setitem(config, "artifact_register",
                        {"catalogue": f"{__name__}.Catalogue"})
    art = CustomArtifact.from_urn("catalogue://books")
    assert repr(art) == "catalogue://books"
    wf = Workflow("custom")
    wf.add(Step("read", PythonOPTemplate(ReadAll), artifacts={"src": art}))
    wf.submit()
    assert wf.query_step(name="read")[0].outputs.parameters["text"].value == "entry of books"
    with pytest.raises(Exception, match="no artifact class is registered"):
        CustomArtifact.from_urn("unknown://x")


def test_a_dispatcher_artifact_is_a_custom_artifact_with_remote_hooks():
    with pytest.raises(TypeError):
        DispatcherArtifact()

    class Remote(Catalogue, DispatcherArtifact):
        def modify_config(self, name, machine):
            return "/data"

        def remote_download(self, name, path):
            pass

        def bohrium_download(self, name, path):
            pass

    _, out = read_all(Remote("remote"))
    assert out["text"].value == "entry of remote"


def test_objects_go_to_a_store_and_back(tmp_path):
    store = LocalStorageClient(str(tmp_path / "store"))
    src = tmp_path / "tree"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("a")
    (src / "sub" / "b.txt").write_text("b")
    (src / ".dflow").mkdir()
    (src / ".dflow" / "cat.json").write_text("{}")
    key = upload_s3(str(src), key="objs/tree", storage_client=store)
    assert key == "objs/tree"
    assert sorted(store.list("objs/tree/", recursive=True)) == [
        "objs/tree/.dflow/cat.json", "objs/tree/a.txt", "objs/tree/sub/b.txt"]
    assert download_s3("objs/tree", path=str(tmp_path / "out"), storage_client=store) == \
        str(tmp_path / "out")
    assert (tmp_path / "out" / "sub" / "b.txt").read_text() == "b"
    download_s3("objs/tree", path=str(tmp_path / "kept"), keep_dir=True, storage_client=store)
    assert (tmp_path / "kept" / "tree" / "a.txt").read_text() == "a"
    file_key = upload_s3(str(src / "a.txt"), prefix="single", storage_client=store)
    assert file_key == "single/a.txt"
    assert Path(download_s3(file_key, path=str(tmp_path / "one"),
                            storage_client=store)).read_text() == "a"
    copy_s3("objs/tree", "objs/copy", ignore_catalog=True, storage_client=store)
    assert sorted(store.list("objs/copy/", recursive=True)) == ["objs/copy/a.txt",
                                                                "objs/copy/sub/b.txt"]


def test_objects_without_a_store_stay_in_the_work_directory(tmp_path):
    (tmp_path / "f.txt").write_text("local")
    where = upload_s3("f.txt")
    assert Path(where).read_text() == "local" and Path(where).is_relative_to(tmp_path)
    (tmp_path / "f.txt").write_text("changed")          # the upload is a copy
    assert Path(download_s3(where, path=str(tmp_path / "back"))).read_text() == "local"
    with pytest.raises(ValueError, match="must not contain '..'"):
        upload_s3("f.txt", key="../../outside.txt")
    assert not (tmp_path.parent / "outside.txt").exists()
