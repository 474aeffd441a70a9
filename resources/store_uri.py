"""Object store URIs: a local folder or ``s3://bucket/prefix``.

Standard library only, so the settings, the resources and the read-only commands share one
parser without loading boto3 or Dagster.
"""

from __future__ import annotations

S3_SCHEME = "s3://"
SETTING = "ML_PLATFORM_OBJECT_STORE"


def is_s3(uri: str) -> bool:
    """Whether ``uri`` names an S3 bucket (else a local folder)."""
    return uri.startswith(S3_SCHEME)


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` as ``("bucket", "some/prefix")``.

    Raises:
        ValueError: ``uri`` is not an S3 URI with a bucket.
    """
    if not is_s3(uri) or not uri[len(S3_SCHEME) :].split("/", 1)[0]:
        raise ValueError(f"Not an S3 URI: {uri!r}; expected s3://bucket/prefix.")
    bucket, _, prefix = uri[len(S3_SCHEME) :].partition("/")
    return bucket, prefix.strip("/")


def checked_store_uri(uri: str) -> str:
    """``uri`` when it names a store: a local folder or ``s3://bucket/prefix``.

    Raises:
        ValueError: another scheme (a typo such as ``s4://`` would otherwise become a local
            folder named ``s4:``, with a registry in it; ``file://`` too: give the folder).
    """
    if "://" in uri and not is_s3(uri):
        raise ValueError(
            f"the object store ({SETTING}) {uri!r} is neither a local folder nor s3://bucket/prefix"
        )
    return uri
