"""The storage interface: the same contract for the local directory and S3 (moto server)."""

from __future__ import annotations

import hashlib

import pytest

from greenapp.services.storage import LocalStorage, S3Storage, storage_from_config
from tests.evidence_helpers import s3_bucket, s3_server  # noqa: F401 - fixtures


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path / "store")
    server = request.getfixturevalue("s3_server")
    bucket = request.getfixturevalue("s3_bucket")
    return S3Storage(bucket=bucket, endpoint_url=server, region="us-east-1")


def test_put_returns_the_sha256_and_get_returns_the_same_bytes(storage):
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    key = storage.put(data)
    assert key == hashlib.sha256(data).hexdigest()
    assert storage.exists(key)
    assert storage.get(key) == data


def test_equal_bytes_are_stored_once(storage):
    assert storage.put(b"same bytes") == storage.put(b"same bytes")


def test_a_missing_or_malformed_key_is_a_keyerror_not_a_path(storage):
    missing = hashlib.sha256(b"never stored").hexdigest()
    assert not storage.exists(missing)
    with pytest.raises(KeyError):
        storage.get(missing)
    for bad in ("../../etc/passwd", "ABC", "a" * 63, ""):
        assert not storage.exists(bad)
        with pytest.raises(KeyError):
            storage.get(bad)


def test_delete_removes_only_that_object(storage):
    a, b = storage.put(b"file a"), storage.put(b"file b")
    storage.delete(a)
    assert not storage.exists(a)
    assert storage.get(b) == b"file b"


def test_local_files_are_content_addressed_under_the_directory(tmp_path):
    store = LocalStorage(tmp_path)
    key = store.put(b"evidence")
    assert (tmp_path / key[:2] / key[2:4] / key).read_bytes() == b"evidence"
    assert not [p for p in tmp_path.rglob(".tmp-*")]  # no half-written leftovers


def test_config_picks_the_backend(tmp_path, s3_server, s3_bucket):  # noqa: F811
    local = storage_from_config({"EVIDENCE_STORAGE": "local", "EVIDENCE_DIR": ""}, str(tmp_path))
    assert isinstance(local, LocalStorage) and local.root == tmp_path / "evidence"
    s3 = storage_from_config(
        {
            "EVIDENCE_STORAGE": "s3",
            "EVIDENCE_S3_BUCKET": s3_bucket,
            "EVIDENCE_S3_ENDPOINT_URL": s3_server,
            "EVIDENCE_S3_REGION": "us-east-1",
        },
        str(tmp_path),
    )
    assert s3.get(s3.put(b"via config")) == b"via config"
    with pytest.raises(RuntimeError):
        storage_from_config({"EVIDENCE_STORAGE": "ftp"}, str(tmp_path))
