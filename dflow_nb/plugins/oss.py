"""Dflow's OSS plug-in: ``OSSClient``, Alibaba Cloud OSS as the artifact store
(``s3_config["storage_client"] = OSSClient(...)``).

OSS speaks the S3 API (AWS Signature V4, virtual-hosted buckets), so this is dflow_nb's S3
client pointed at an OSS endpoint (Dflow's uses Alibaba's ``oss2`` SDK). Arguments default to
``OSS_ENDPOINT``, ``OSS_BUCKET_NAME``, ``OSS_ACCESS_KEY_ID`` and ``OSS_ACCESS_KEY_SECRET``.
"""
from __future__ import annotations

import os
from typing import Any, Dict, Optional

from dflow_nb.storage.base import Secret
from dflow_nb.storage.s3 import S3StorageClient


def OSSClient(endpoint: Optional[str] = None, bucket_name: Optional[str] = None,
              access_key_id: Optional[str] = None, access_key_secret: Optional[str] = None,
              **options: Any) -> S3StorageClient:
    """A storage client for an OSS bucket (``endpoint`` such as
    ``https://oss-cn-hangzhou.aliyuncs.com``; ``http://`` for a plain-HTTP endpoint)."""
    given: Dict[str, Optional[str]] = {
        "endpoint": endpoint or os.environ.get("OSS_ENDPOINT"),
        "bucket_name": bucket_name or os.environ.get("OSS_BUCKET_NAME"),
        "access_key_id": access_key_id or os.environ.get("OSS_ACCESS_KEY_ID"),
        "access_key_secret": access_key_secret or os.environ.get("OSS_ACCESS_KEY_SECRET")}
    missing = [k for k, v in given.items() if not v]
    if missing:
        raise ValueError(f"OSSClient needs {', '.join(missing)} (arguments, or the OSS_* "
                         "environment variables)")
    url = str(given["endpoint"])
    return S3StorageClient(endpoint=url if "://" in url else f"https://{url}",
                           access_key=str(given["access_key_id"]),
                           secret_key=Secret(str(given["access_key_secret"])),
                           bucket=str(given["bucket_name"]), **options)


__all__ = ["OSSClient"]
