"""Where evidence files' bytes live, behind one small interface.

    storage = get_storage()          # from the app's config
    key = storage.put(data)          # the SHA-256 of the bytes (content-addressed)
    storage.get(key) -> bytes        # raises KeyError if missing
    storage.exists(key) -> bool
    storage.delete(key)              # only for purging; deleting an entry keeps files

Backends (EVIDENCE_STORAGE):
- "local" (default): a directory (EVIDENCE_DIR, default instance/evidence), files at
  ab/cd/<sha256>; written to a temporary name and renamed, so a half-written file is
  never served.
- "s3": any S3-compatible service through boto3 (EVIDENCE_S3_BUCKET,
  EVIDENCE_S3_ENDPOINT_URL for non-AWS services, EVIDENCE_S3_REGION,
  EVIDENCE_S3_PREFIX). Credentials come from the environment the way boto3 reads them
  (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), never from the app's config files.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Protocol

from flask import current_app

KEY_RE = re.compile(r"^[0-9a-f]{64}$")


def content_key(data: bytes) -> str:
    """The content address of some bytes: their SHA-256, in hex."""
    return hashlib.sha256(data).hexdigest()


def _check_key(key: str) -> str:
    if not KEY_RE.match(key or ""):
        raise KeyError(key)
    return key


class Storage(Protocol):
    """What every backend offers."""

    def put(self, data: bytes) -> str:
        """Store bytes; return their key (idempotent for equal bytes)."""
        ...

    def get(self, key: str) -> bytes:
        """Return the bytes stored under key; KeyError if there are none."""
        ...

    def exists(self, key: str) -> bool:
        """True if bytes are stored under key."""
        ...

    def delete(self, key: str) -> None:
        """Remove the bytes under key (purge only)."""
        ...


class LocalStorage:
    """A content-addressed directory on this host."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        key = _check_key(key)
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes) -> str:
        """Write once; an existing identical file is kept as it is."""
        key = content_key(data)
        path = self._path(key)
        if path.exists():
            return key
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def get(self, key: str) -> bytes:
        """Read the file; KeyError if it is missing."""
        path = self._path(key)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def exists(self, key: str) -> bool:
        """True if the file is there."""
        try:
            return self._path(key).exists()
        except KeyError:
            return False

    def delete(self, key: str) -> None:
        """Remove the file if present."""
        self._path(key).unlink(missing_ok=True)


class S3Storage:
    """An S3-compatible bucket (AWS, MinIO, Ceph, moto's server in tests)."""

    def __init__(
        self,
        bucket: str,
        endpoint_url: str | None = None,
        region: str | None = None,
        prefix: str = "evidence/",
        client: Any = None,
    ) -> None:
        if client is None:
            import boto3

            client = boto3.client(
                "s3", endpoint_url=endpoint_url or None, region_name=region or None
            )
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def _name(self, key: str) -> str:
        return f"{self.prefix}{_check_key(key)}"

    def put(self, data: bytes) -> str:
        """Upload the bytes under their SHA-256 (equal bytes land on the same object)."""
        key = content_key(data)
        if not self.exists(key):
            self.client.put_object(
                Bucket=self.bucket,
                Key=self._name(key),
                Body=data,
                ContentType="application/octet-stream",
            )
        return key

    def get(self, key: str) -> bytes:
        """Download the object; KeyError if it is missing."""
        from botocore.exceptions import ClientError

        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise KeyError(key) from None
            raise
        return obj["Body"].read()

    def exists(self, key: str) -> bool:
        """True if the object is there."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except KeyError:
            return False
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        """Remove the object."""
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))


def storage_from_config(config: dict[str, Any], instance_path: str) -> Storage:
    """Build the backend the config names."""
    kind = config.get("EVIDENCE_STORAGE", "local")
    if kind == "s3":
        return S3Storage(
            bucket=config["EVIDENCE_S3_BUCKET"],
            endpoint_url=config.get("EVIDENCE_S3_ENDPOINT_URL"),
            region=config.get("EVIDENCE_S3_REGION"),
            prefix=config.get("EVIDENCE_S3_PREFIX", "evidence/"),
        )
    if kind != "local":
        raise RuntimeError(f"EVIDENCE_STORAGE must be 'local' or 's3', not {kind!r}")
    return LocalStorage(config.get("EVIDENCE_DIR") or os.path.join(instance_path, "evidence"))


def get_storage() -> Storage:
    """The app's storage backend (built once per app)."""
    app = current_app
    found = app.extensions.get("greenapp_storage")
    if found is None:
        found = storage_from_config(app.config, app.instance_path)
        app.extensions["greenapp_storage"] = found
    return found
