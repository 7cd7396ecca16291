"""Shared helpers of the Argo tests: where Argo's schema lives, and manifest validation."""
from pathlib import Path

import pytest

from dflow_nb.argo import schema
from tests.storage.conftest import seaweedfs  # noqa: F401  (the real S3 server, per worker)

MANIFESTS = Path(__file__).parent / "manifests"


@pytest.fixture
def validate_manifest():
    """Check a manifest against Argo's schema and rules; skip (saying why) without the schema."""
    if schema.schema_path() is None:
        pytest.skip("Argo's schema.json not found: set DFLOW_NB_SHARED to the shared directory "
                    "(scripts/test.sh sets it to ../shared)")

    def check(manifest):
        errs = schema.manifest_errors(manifest)
        assert not errs, "\n".join(errs)
        return manifest

    return check
