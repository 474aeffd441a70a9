"""The object store the environment names, opened without Dagster (for the command line)."""

from __future__ import annotations

from pathlib import Path

from resources.environment import S3_SECRETS, Environment
from resources.object_store import LocalObjectStore, ObjectStore
from resources.store_uri import is_s3, split_s3_uri


def open_object_store(environment: Environment) -> ObjectStore:
    """The local folder or S3 bucket of ``environment``, as the Dagster resource opens it."""
    if not is_s3(environment.object_store):
        return LocalObjectStore(Path(environment.object_store))
    # boto3 takes a third of a second to import: a local platform's commands never pay it.
    from resources.s3_object_store import S3ObjectStore, s3_client

    settings = environment.settings
    bucket, prefix = split_s3_uri(environment.object_store)
    client = s3_client(
        endpoint_url=settings.get("AWS_ENDPOINT_URL"),
        region_name=settings.get("AWS_REGION") or settings.get("AWS_DEFAULT_REGION"),
        **{name.lower(): settings.get(name) for name in S3_SECRETS},
    )
    return S3ObjectStore(client, bucket, prefix)
