"""Both storage backends against one contract; S3 through moto's server over HTTP."""

from __future__ import annotations

import io
import os
import time
import uuid

import pytest

from common.errors import TransientError
from common.settings import load_settings
from common.storage import ObjectNotFound, check_key, get_storage
from common.storage.local import LocalStorage
from common.storage.s3 import LIFECYCLE_RULE, LIFECYCLE_RULE_ID, S3Storage
from tests.support.stack import free_port


def s3_settings(endpoint: str, bucket: str | None = None):
    return load_settings(
        STORAGE="s3",
        S3_ENDPOINT_URL=endpoint,
        S3_BUCKET=bucket or f"storage-test-{uuid.uuid4().hex[:8]}",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
    )


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.integration)])
def storage(request, tmp_path):
    if request.param == "local":
        backend = get_storage(load_settings(STORAGE="local", LOCAL_STORAGE_DIR=tmp_path / "s"))
    else:
        backend = get_storage(s3_settings(request.getfixturevalue("s3_server").url))
    backend.ensure_ready()
    return backend


def test_put_get_open_exists_delete(storage):
    storage.put("results/a.json", b'{"x": 1}', content_type="application/json")
    storage.put("cleaned/u1/photo.jpg", io.BytesIO(b"\xff\xd8" + bytes(3_000_000)))
    assert storage.get("results/a.json") == b'{"x": 1}'
    with storage.open("cleaned/u1/photo.jpg") as stream:
        assert stream.read(2) == b"\xff\xd8"
        assert len(stream.read()) == 3_000_000
    assert storage.exists("results/a.json")
    storage.delete("results/a.json")
    storage.delete("results/a.json")  # deleting twice is fine (tasks retry)
    assert not storage.exists("results/a.json")
    with pytest.raises(ObjectNotFound):
        storage.get("results/a.json")
    with pytest.raises(ObjectNotFound):
        storage.open("uploads/never")


def test_list_older_than(storage):
    storage.put("uploads/u2", b"x")
    storage.put("results/u2.json", b"{}")
    now = time.time()
    assert list(storage.list_older_than("uploads/", now - 3600)) == []
    assert list(storage.list_older_than("uploads/", now + 3600)) == ["uploads/u2"]


def test_local_ages_by_modification_time(tmp_path):
    storage = LocalStorage(tmp_path)
    storage.put("cleaned/u3/a.png", b"x")
    storage.put("cleaned/u4/b.png", b"y")
    old = time.time() - 2 * 86_400
    os.utime(tmp_path / "cleaned/u3/a.png", (old, old))
    assert list(storage.list_older_than("cleaned/", time.time() - 86_400)) == ["cleaned/u3/a.png"]
    storage.delete("cleaned/u3/a.png")
    assert not (tmp_path / "cleaned/u3").exists()  # emptied directories go too
    assert (tmp_path / "cleaned/u4/b.png").exists()


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs", "a//b", "uploads/..", "a/./b", "", "a b"])
def test_unsafe_keys_are_refused(key):
    with pytest.raises(ValueError):
        check_key(key)


def test_unknown_backend_is_named():
    with pytest.raises(ValueError, match="no such storage backend"):
        get_storage(load_settings(STORAGE="ftp"))


@pytest.mark.integration
def test_s3_ensure_ready_creates_the_bucket_with_a_one_day_rule_and_keeps_others(s3_server):
    storage = get_storage(s3_settings(s3_server.url))
    storage.ensure_ready()
    assert LIFECYCLE_RULE in storage.lifecycle_rules()
    theirs = {
        "ID": "theirs",
        "Status": "Enabled",
        "Filter": {"Prefix": "logs/"},
        "Expiration": {"Days": 7},
    }
    storage.client.put_bucket_lifecycle_configuration(
        Bucket=storage.bucket, LifecycleConfiguration={"Rules": [theirs]}
    )
    storage.ensure_ready()
    storage.ensure_ready()
    rules = storage.lifecycle_rules()
    assert sorted(rule["ID"] for rule in rules) == sorted(["theirs", LIFECYCLE_RULE_ID])
    ours = next(rule for rule in rules if rule["ID"] == LIFECYCLE_RULE_ID)
    assert ours["Expiration"] == {"Days": 1} and ours["Status"] == "Enabled"


def test_s3_unreachable_is_transient():
    storage = get_storage(s3_settings(f"http://127.0.0.1:{free_port()}"))
    assert isinstance(storage, S3Storage)
    with pytest.raises(TransientError):
        storage.ping()
    with pytest.raises(TransientError):
        storage.put("uploads/x", b"1")
