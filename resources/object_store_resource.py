"""The object store resource: the configured local folder or S3 bucket as an ``ObjectStore``."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import Field

from resources.env_vars import resolved
from resources.object_store import LocalObjectStore, ObjectStore
from resources.s3_object_store import S3ObjectStore, s3_client
from resources.store_uri import checked_store_uri, is_s3, split_s3_uri


class ObjectStoreResource(dg.ConfigurableResource):
    """Where the platform keeps its artifacts: a local folder or an S3 bucket and prefix."""

    uri: str = Field(description="A local folder (absolute) or s3://bucket/prefix.")
    endpoint_url: str | None = Field(
        default=None, description="S3 endpoint for S3-compatible stores; None means AWS."
    )
    region_name: str | None = Field(default=None, description="S3 region.")
    aws_access_key_id: str | None = Field(
        default=None, description="S3 access key; None uses the default AWS credential chain."
    )
    aws_secret_access_key: str | None = Field(
        default=None, description="S3 secret key; pass it as dg.EnvVar, never as a literal."
    )
    aws_session_token: str | None = Field(default=None, description="S3 session token.")
    max_attempts: int = Field(
        default=5,
        description="Attempts per S3 request, retried with backoff on throttling and 5xx.",
    )

    def get_store(self) -> ObjectStore:
        """Returns the store the ``uri`` names.

        Raises:
            ValueError: ``uri`` names no store (see ``store_uri.checked_store_uri``).
        """
        uri = checked_store_uri(resolved(self.uri))
        if not is_s3(uri):
            return LocalObjectStore(Path(uri))
        bucket, prefix = split_s3_uri(uri)
        client = s3_client(
            endpoint_url=resolved(self.endpoint_url),
            region_name=resolved(self.region_name),
            aws_access_key_id=resolved(self.aws_access_key_id),
            aws_secret_access_key=resolved(self.aws_secret_access_key),
            aws_session_token=resolved(self.aws_session_token),
            max_attempts=self.max_attempts,
        )
        return S3ObjectStore(client, bucket, prefix)
