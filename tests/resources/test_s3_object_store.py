"""S3 failure modes against the run's SeaweedFS: wrong keys, a missing bucket, a dead endpoint,
retried throttling, multipart uploads and uploads that break midway.
"""

import hashlib
import socket
import time
import uuid

import pytest
from botocore.awsrequest import AWSResponse

from resources import s3_object_store
from resources.object_store import ObjectStoreError, ObjectStoreUnavailable
from resources.object_store_resource import ObjectStoreResource
from resources.s3_object_store import S3ObjectStore
from resources.store_uri import split_s3_uri


def _every_operation(store):
    return {
        "put": lambda: store.put_bytes("m/x.bin", b"x"),
        "get": lambda: store.get_bytes("m/x.bin"),
        "exists": lambda: store.exists("m/x.bin"),
        "list": lambda: store.list("m/"),
    }


def test_wrong_credentials_are_named_with_endpoint_and_bucket(make_s3_resource, s3_settings):
    store = make_s3_resource(aws_secret_access_key="not-the-secret").get_store()
    bucket, endpoint = s3_settings["ML_PLATFORM_TEST_S3_BUCKET"], store.endpoint

    for name, operation in _every_operation(store).items():
        with pytest.raises(ObjectStoreError) as raised:
            operation()
        message = str(raised.value)
        assert f"S3 rejected the credentials for bucket '{bucket}' at {endpoint}" in message, name
        assert "SignatureDoesNotMatch" in message


def test_unknown_access_key_is_named(make_s3_resource):
    store = make_s3_resource(aws_access_key_id="NOSUCHKEY").get_store()

    with pytest.raises(ObjectStoreError, match="rejected the credentials.*InvalidAccessKeyId"):
        store.put_bytes("m/x.bin", b"x")


def test_missing_bucket_is_named(make_s3_resource):
    bucket = f"mlp-missing-{uuid.uuid4().hex[:8]}"
    store = make_s3_resource(uri=f"s3://{bucket}/prefix").get_store()

    for name, operation in _every_operation(store).items():
        with pytest.raises(ObjectStoreError, match=f"bucket '{bucket}' at .* does not exist"):
            operation()
        assert name


def test_dead_endpoint_fails_fast_and_names_it():
    with socket.socket() as probe:  # a port nobody listens on once the probe closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}"
    resource = ObjectStoreResource(
        uri="s3://artifacts/prod",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="unused",
        aws_secret_access_key="unused",
        max_attempts=2,
    )

    started = time.monotonic()
    with pytest.raises(ObjectStoreUnavailable, match=f"Cannot reach the S3 endpoint {endpoint}"):
        resource.get_store().put_bytes("m/x.bin", b"x")
    assert time.monotonic() - started < 10


def test_throttling_and_server_errors_are_retried(make_s3_resource):
    store = make_s3_resource().get_store()
    attempts = []

    def slow_down_once(request, **_):
        attempts.append(request.url)
        if len(attempts) == 1:
            return AWSResponse(request.url, 503, {}, _Raw(b"<Error><Code>SlowDown</Code></Error>"))
        return None

    store.client.meta.events.register("before-send.s3.PutObject", slow_down_once)
    store.put_bytes("m/retried.bin", b"payload")

    assert len(attempts) == 2
    assert store.get_bytes("m/retried.bin") == b"payload"
    store.delete_prefix("")


def test_big_files_go_up_in_parts(make_s3_resource, monkeypatch, tmp_path):
    monkeypatch.setattr(s3_object_store, "MULTIPART_THRESHOLD", 5 * 1024 * 1024)
    store = make_s3_resource().get_store()
    source = tmp_path / "big.bin"
    source.write_bytes(bytes(range(256)) * (12 * 4096))  # 12 MiB

    stored = store.put_file("m/big.bin", source)

    head = store.client.head_object(Bucket=store.bucket, Key=f"{store.prefix}/m/big.bin")
    assert "-" in head["ETag"]  # multipart ETags end in -<number of parts>
    assert stored.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert store.get_bytes("m/big.bin") == source.read_bytes()
    store.delete_prefix("")


def test_an_upload_breaking_midway_publishes_nothing(make_s3_resource, monkeypatch):
    store = make_s3_resource().get_store()
    store.put_bytes("m/model.txt", b"previous model")
    real_put = store.client.put_object

    def put_with_broken_body(**kwargs):
        return real_put(**{**kwargs, "Body": _BreaksAfter(kwargs["Body"], 64 * 1024)})

    monkeypatch.setattr(store.client, "put_object", put_with_broken_body)
    with pytest.raises(ConnectionResetError):
        store.put_bytes("m/model.txt", b"new model " * 100_000)
    with pytest.raises(ConnectionResetError):
        store.put_bytes("m/other.txt", b"never complete " * 100_000)

    assert store.get_bytes("m/model.txt") == b"previous model"
    assert store.list("m/") == ["m/model.txt"]
    store.delete_prefix("")


def test_s3_uris_split_into_bucket_and_prefix():
    assert split_s3_uri("s3://bucket") == ("bucket", "")
    assert split_s3_uri("s3://bucket/a/b/") == ("bucket", "a/b")
    with pytest.raises(ValueError, match="Not an S3 URI"):
        split_s3_uri("s3:///prefix")
    assert S3ObjectStore.__name__ in repr(S3ObjectStore)


class _Raw:
    """The raw body botocore reads from a response."""

    def __init__(self, data: bytes):
        self.data = data

    def stream(self, **_):
        yield self.data


class _BreaksAfter:
    """A request body whose connection drops after ``limit`` bytes."""

    def __init__(self, inner, limit: int):
        self.inner, self.limit, self.sent = inner, limit, 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.inner.read(size)
        self.sent += len(chunk)
        if self.sent > self.limit:
            raise ConnectionResetError("connection reset by peer")
        return chunk

    def seek(self, *args):
        return self.inner.seek(*args)

    def tell(self):
        return self.inner.tell()
