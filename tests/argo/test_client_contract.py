"""The fake server is only worth what its checks are: it must refuse what Argo would refuse,
and its fixtures must be Argo-shaped. Plus TLS with a certificate made in the test."""
import datetime
import ipaddress

import httpx
import pytest

from dflow_nb.argo.client import ArgoClient
from dflow_nb.argo.errors import ArgoConnectionError, ArgoTLSError
from tests.argo.argo_server import FIXTURES, FakeArgo, fixture, swagger_path, validator

pytestmark = pytest.mark.skipif(swagger_path() is None,
                                reason="argo/swagger.json not found (set DFLOW_NB_SHARED)")


@pytest.fixture
def fake():
    server = FakeArgo().start()
    yield server
    server.stop()


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.json")))
def test_fixtures_are_argo_workflows(name):
    errors = list(validator("#/definitions/io.argoproj.workflow.v1alpha1.Workflow")
                  .iter_errors(fixture(name)))
    assert errors == []


@pytest.mark.parametrize("method, path, kwargs, problem", [
    ("GET", "/api/v1/workflows/argo/x", {"params": {"listOptions.bogus": "1"}},
     "unknown query parameter 'listOptions.bogus'"),
    ("GET", "/api/v1/workflows/argo", {"params": {"listOptions.watch": "yes"}},
     "is not a boolean"),
    ("PATCH", "/api/v1/workflows/argo/x", {}, "method not allowed"),
    ("GET", "/api/v2/nothing", {}, "no such path"),
    ("POST", "/api/v1/workflows/argo", {"json": {"workflow": {"metadata": {}}}},
     "'spec' is a required property"),
    ("POST", "/api/v1/workflows/argo", {"json": {"workflow": {"metadata": {}, "spec": {
        "templates": [{"name": "t", "retryStrategy": {"limit": 3}}]}}}},
     "3 is not of type 'string'"),
    ("PUT", "/api/v1/workflows/argo/x/terminate", {}, "request body required"),
    ("GET", "/api/v1/workflows/argo/x", {"json": {"a": 1}}, "takes no request body"),
])
def test_server_refuses_what_swagger_does_not_allow(fake, method, path, kwargs, problem):
    resp = httpx.request(method, fake.url + path, **kwargs)
    assert resp.status_code == 400
    assert resp.json()["code"] == 3
    assert any(problem in v for v in fake.violations), fake.violations


def test_lint_route_wins_over_name(fake):
    resp = httpx.post(fake.url + "/api/v1/workflows/argo/lint",
                      json={"namespace": "argo", "workflow": fixture("dag-failed.json")})
    assert resp.status_code == 200 and fake.violations == []
    assert fake.requests[0].op_id == "WorkflowService_LintWorkflow"


# -- TLS ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    """A CA and a server certificate for 127.0.0.1 signed by it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    d = tmp_path_factory.mktemp("tls")
    now = datetime.datetime.now(datetime.timezone.utc)

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("test argo CA")).issuer_name(name("test argo CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(name("argo-server")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    (d / "ca.pem").write_bytes(ca.public_bytes(pem))
    (d / "server.pem").write_bytes(cert.public_bytes(pem))
    (d / "server.key").write_bytes(key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return d


@pytest.fixture
def tls_server(certs):
    server = FakeArgo(token="tls-token", tls=(str(certs / "server.pem"),
                                              str(certs / "server.key"))).start()
    server.add(fixture("dag-failed.json"))
    yield server
    server.stop()
    assert server.violations == []


def test_tls_unknown_ca_is_a_clear_error(tls_server):
    assert tls_server.url.startswith("https://127.0.0.1:")
    with ArgoClient(tls_server.url, token="tls-token", retries=2, backoff=0.01) as c:
        with pytest.raises(ArgoTLSError) as info:
            c.get("dag-fail-q9w3e")
    msg = str(info.value)
    assert "certificate" in msg and tls_server.url in msg
    assert "argo_ca" in msg and "verify=False" in msg
    assert isinstance(info.value, ArgoConnectionError)
    assert tls_server.requests == []  # the handshake failed: no request reached the server


def test_tls_with_ca_bundle_works(tls_server, certs):
    with ArgoClient(tls_server.url, token="tls-token", ca_bundle=str(certs / "ca.pem")) as c:
        assert c.get("dag-fail-q9w3e")["status"]["phase"] == "Failed"
    with ArgoClient(tls_server.url, token="tls-token", verify=str(certs / "ca.pem")) as c:
        assert c.version()["version"]


def test_tls_verify_off_works(tls_server):
    with ArgoClient(tls_server.url, token="tls-token", verify=False) as c:
        assert c.get("dag-fail-q9w3e")["metadata"]["name"] == "dag-fail-q9w3e"


def test_missing_ca_bundle_file(tmp_path):
    with pytest.raises(ArgoTLSError, match="does not exist"):
        ArgoClient("https://127.0.0.1:1", token="t", ca_bundle=str(tmp_path / "nope.pem"))


def test_https_client_against_http_server(fake):
    url = fake.url.replace("http://", "https://")
    with ArgoClient(url, token="t", retries=0) as c:
        with pytest.raises(ArgoConnectionError) as info:
            c.version()
    assert "127.0.0.1" in str(info.value)
