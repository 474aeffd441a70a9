"""Faults during the lifecycle leave state consistent: nothing registered without its artifact,
no artifact without a reachable registry, the champion untouched."""

import pytest

from ml_platform_assets.lifecycle import LifecycleError
from resources.database import DatabaseResource
from resources.object_store import LocalObjectStore, ObjectStoreError

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


def test_a_failed_model_upload_registers_nothing(small_platform, monkeypatch) -> None:
    p = small_platform
    if p.resources["object_store"].uri.startswith("s3://"):
        pytest.skip("the upload fault is injected into the local store")
    p.land(DAYS)
    p.ingest(0, DAYS - 1)
    real_put = LocalObjectStore.put_bytes

    def failing_put(self, key, data):
        if key.endswith("model.txt"):
            raise ObjectStoreError(f"disk full while writing {key}")
        return real_put(self, key, data)

    monkeypatch.setattr(LocalObjectStore, "put_bytes", failing_put)
    with pytest.raises(LifecycleError, match="disk full"):
        p.train()
    assert p.registry.list_versions(p.spec.name) == []
    assert p.registry.champion(p.spec.name) is None

    monkeypatch.setattr(LocalObjectStore, "put_bytes", real_put)
    outcome = p.train()
    assert outcome.promoted and p.registry.champion(p.spec.name).version == 1
