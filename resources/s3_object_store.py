"""The S3 implementation of the object store (AWS S3 or a compatible server such as SeaweedFS).

An object appears only when its single PutObject, or its whole multipart upload, completes: S3
itself never shows a partial object. Botocore errors become ``ObjectStoreError`` sentences that
name the endpoint and bucket, because a bare ``ClientError`` rarely tells an operator what to fix.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import boto3
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError, NoCredentialsError
from typing_extensions import override

from resources.object_store import (
    ObjectNotFound,
    ObjectStore,
    ObjectStoreError,
    ObjectStoreUnavailable,
    StoredObject,
    file_sha256,
    validate_key,
)

logger = logging.getLogger(__name__)

# Below this size one PutObject; above it a multipart upload, published only on completion.
MULTIPART_THRESHOLD = 64 * 1024 * 1024
_CREDENTIAL_CODES = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "InvalidClientTokenId",
}


def s3_client(
    endpoint_url: str | None = None,
    region_name: str | None = None,
    aws_access_key_id: str | None = None,
    aws_secret_access_key: str | None = None,
    aws_session_token: str | None = None,
    max_attempts: int = 5,
) -> Any:
    """A boto3 S3 client retrying throttling and 5xx with backoff (``max_attempts`` tries);
    keys left None use the default AWS credential chain."""
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=region_name,
        aws_access_key_id=aws_access_key_id,
        aws_secret_access_key=aws_secret_access_key,
        aws_session_token=aws_session_token,
        config=Config(retries={"max_attempts": max_attempts, "mode": "standard"}),
    )


class S3ObjectStore(ObjectStore):
    """Objects under ``s3://bucket/prefix/`` through a boto3 S3 client."""

    def __init__(self, client: Any, bucket: str, prefix: str = ""):
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint = client.meta.endpoint_url

    def __repr__(self) -> str:
        return f"S3ObjectStore({self.uri_prefix!r}, endpoint={self.endpoint!r})"

    @property
    def uri_prefix(self) -> str:
        """``s3://bucket/prefix`` of every key."""
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def _full_key(self, key: str) -> str:
        validate_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    @override
    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._full_key(key)}"

    @contextlib.contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Turns botocore failures into sentences naming the endpoint and the bucket."""
        where = f"bucket '{self.bucket}' at {self.endpoint}"
        try:
            yield
        except ClientError as exc:
            raise self._client_error(exc, action, where) from exc
        except S3UploadFailedError as exc:
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, ClientError):
                raise self._client_error(cause, action, where) from exc
            raise ObjectStoreError(f"S3 {action} failed for {where}: {exc}") from exc
        except NoCredentialsError as exc:
            raise ObjectStoreError(
                f"No S3 credentials found for {where}: set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY, or give the process an AWS role."
            ) from exc
        except (BotoCoreError, HTTPClientError) as exc:
            raise ObjectStoreUnavailable(
                f"Cannot reach the S3 endpoint {self.endpoint} ({action}, bucket "
                f"'{self.bucket}'): {exc}"
            ) from exc

    @staticmethod
    def _client_error(exc: ClientError, action: str, where: str) -> ObjectStoreError:
        error = exc.response.get("Error", {})
        code = error.get("Code", "Unknown")
        if code in _CREDENTIAL_CODES:
            return ObjectStoreError(f"S3 rejected the credentials for {where}: {code}")
        if code in ("AccessDenied", "403"):
            return ObjectStoreError(
                f"S3 denied access to {where} ({code}): check the credentials and the bucket "
                "policy."
            )
        if code == "NoSuchBucket":
            return ObjectStoreError(f"S3 {where} does not exist: create it or fix the URI.")
        return ObjectStoreError(f"S3 {action} failed for {where}: {code} {error.get('Message')}")

    def _write(self, key: str, fill: Callable[[IO[bytes]], Any]) -> StoredObject:
        full_key = self._full_key(key)
        # Spooled: small objects stay in memory, big ones go to a local temp file, never to S3.
        with tempfile.SpooledTemporaryFile(max_size=MULTIPART_THRESHOLD) as buffer:
            fill(buffer)
            return self._upload(key, full_key, buffer)

    @override
    def put_file(self, key: str, path: Path) -> StoredObject:
        full_key = self._full_key(key)
        with open(path, "rb") as handle:
            return self._upload(key, full_key, handle)

    def _upload(self, key: str, full_key: str, handle: IO[bytes]) -> StoredObject:
        sha256, size = file_sha256(handle)
        extra = {"Metadata": {"sha256": sha256}}
        with self._errors(f"upload of {self.uri(key)}"):
            if size <= MULTIPART_THRESHOLD:
                self.client.put_object(Bucket=self.bucket, Key=full_key, Body=handle, **extra)
            else:
                config = TransferConfig(multipart_threshold=MULTIPART_THRESHOLD)
                self.client.upload_fileobj(
                    handle, self.bucket, full_key, ExtraArgs=extra, Config=config
                )
        logger.debug("Published %s (%d bytes)", self.uri(key), size)
        return StoredObject(key=key, uri=self.uri(key), sha256=sha256, size=size)

    @override
    def get_bytes(self, key: str) -> bytes:
        full_key = self._full_key(key)
        with self._errors(f"download of {self.uri(key)}"):
            try:
                response = self.client.get_object(Bucket=self.bucket, Key=full_key)
            except self.client.exceptions.NoSuchKey:
                raise ObjectNotFound(f"No object at {self.uri(key)}.") from None
            return response["Body"].read()

    @override
    def etag(self, key: str) -> str:
        full_key = self._full_key(key)
        with self._errors(f"lookup of {self.uri(key)}"):
            response = self.client.list_objects_v2(Bucket=self.bucket, Prefix=full_key, MaxKeys=1)
        found = response.get("Contents", [])
        if not found or found[0]["Key"] != full_key:
            raise ObjectNotFound(f"No object at {self.uri(key)}.")
        return found[0]["ETag"].strip('"')

    @override
    def exists(self, key: str) -> bool:
        # LIST rather than HEAD: a HEAD error has no body, so a missing bucket or a bad
        # signature would look like a plain 404 or 403.
        full_key = self._full_key(key)
        with self._errors(f"lookup of {self.uri(key)}"):
            response = self.client.list_objects_v2(Bucket=self.bucket, Prefix=full_key, MaxKeys=1)
        found = response.get("Contents", [])
        return bool(found) and found[0]["Key"] == full_key

    @override
    def list(self, prefix: str = "") -> list[str]:
        base = f"{self.prefix}/" if self.prefix else ""
        paginator = self.client.get_paginator("list_objects_v2")
        keys: list[str] = []
        with self._errors(f"listing of {self.uri_prefix}/{prefix}"):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=base + prefix):
                keys.extend(item["Key"][len(base) :] for item in page.get("Contents", []))
        return sorted(keys)

    @override
    def list_etags(self, prefix: str = "") -> dict[str, str]:
        # One LIST page carries a thousand keys with their ETags: no request per object.
        base = f"{self.prefix}/" if self.prefix else ""
        paginator = self.client.get_paginator("list_objects_v2")
        etags: dict[str, str] = {}
        with self._errors(f"listing of {self.uri_prefix}/{prefix}"):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=base + prefix):
                for item in page.get("Contents", []):
                    etags[item["Key"][len(base) :]] = item["ETag"].strip('"')
        return dict(sorted(etags.items()))

    @override
    def delete(self, key: str) -> None:
        full_key = self._full_key(key)
        with self._errors(f"deletion of {self.uri(key)}"):
            self.client.delete_object(Bucket=self.bucket, Key=full_key)

    @override
    def delete_prefix(self, prefix: str) -> int:
        keys = self.list(prefix)
        for start in range(0, len(keys), 1000):  # DeleteObjects takes at most 1000 keys.
            batch = [{"Key": self._full_key(k)} for k in keys[start : start + 1000]]
            with self._errors(f"deletion under {self.uri_prefix}/{prefix}"):
                response = self.client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
                )
            if response.get("Errors"):
                first = response["Errors"][0]
                raise ObjectStoreError(
                    f"S3 could not delete {len(response['Errors'])} objects under "
                    f"{self.uri_prefix}/{prefix}, e.g. {first.get('Key')}: {first.get('Code')}"
                )
        return len(keys)
