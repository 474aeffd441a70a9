"""Faults during the lifecycle leave state consistent: nothing registered without its artifact,
no artifact without a reachable registry, the champion untouched.

Each fault is a real one on each backend (a closed port, a store that refuses the write), so
the S3 and MariaDB variants go through the same error paths production would.
"""

import contextlib
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ml_platform_assets.core import layout
from ml_platform_assets.orchestration.runs import LifecycleError
from resources.database_resource import DatabaseResource
from resources.object_store import LocalObjectStore
from resources.s3_object_store import S3ObjectStore

DAYS = 14


def test_registry_down_names_the_host_and_publishes_no_model(small_platform) -> None:
    p = small_platform
    p.land(DAYS)
    p.ingest(0, DAYS - 1)
    down = DatabaseResource(url="mysql+pymysql://root@127.0.0.1:1/ml_platform")
    broken = p.with_resources(database=down)
    with pytest.raises(LifecycleError, match=r"127\.0\.0\.1:1"):
        broken.train()
    assert p.store.list(f"{p.spec.name}/models/") == []
    assert p.registry.list_versions(p.spec.name) == []


@contextlib.contextmanager
def _model_uploads_refused(p) -> Iterator[str]:
    """The platform's store refuses to write model files while inside; yields the error
    (a regular expression) that the refusal produces.

    S3: a bucket policy denies PutObject on ``<prefix>/<model>/models/*/model.txt``, as a
    production bucket with a wrong policy would; every other write goes through. Local folder:
    a directory stands where v1's model file must go, so renaming the file into place fails.
    """
    store = p.store
    if isinstance(store, S3ObjectStore):
        models = f"{store.prefix}/{p.spec.name}/models/*/model.txt"
        statement = {
            "Sid": "RefuseModelUploads",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{store.bucket}/{models}",
        }
        policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
        store.client.put_bucket_policy(Bucket=store.bucket, Policy=policy)
        try:
            yield rf"S3 denied access to bucket '{store.bucket}'"
        finally:
            store.client.delete_bucket_policy(Bucket=store.bucket)
    else:
        assert isinstance(store, LocalObjectStore)
        key = layout.model_artifact_key(p.spec.name, 1, "model.txt")
        blocker = Path(store.root, *key.split("/"))
        blocker.mkdir(parents=True)
        try:
            yield r"Is a directory"
        finally:
            blocker.rmdir()


def test_a_failed_model_upload_registers_nothing(small_platform) -> None:
    p = small_platform
    p.land(DAYS)
    p.ingest(0, DAYS - 1)
    model_key = layout.model_artifact_key(p.spec.name, 1, "model.txt")
    with _model_uploads_refused(p) as refusal:
        with pytest.raises(LifecycleError, match=rf"challenger_model: .*{refusal}"):
            p.train()
        # The refusal was the model file's alone: the training set before it was written.
        training_set = p.store.get_json(layout.manifest_key([p.spec.name, "training_set"]))
        assert all(p.store.exists(key) for key in training_set["splits"].values())
    assert not p.store.exists(model_key)
    assert p.registry.list_versions(p.spec.name) == []
    assert p.registry.champion(p.spec.name) is None

    # Once the store takes writes again, the same training registers and promotes v1.
    outcome = p.train()
    assert outcome.promoted and p.registry.champion(p.spec.name).version == 1
    champion = p.registry.champion(p.spec.name)
    assert hashlib.sha256(p.store.get_bytes(model_key)).hexdigest() == champion.model_sha256
