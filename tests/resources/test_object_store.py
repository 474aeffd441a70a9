"""The object store's behaviour, identical on local files and on S3 (SeaweedFS).

Touches a temp folder and a per-test prefix in the run's SeaweedFS bucket.
"""

import hashlib
import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from resources.object_store import ObjectNotFound, ObjectStore


def test_bytes_round_trip_records_hash_and_size(object_store: ObjectStore):
    data = b"approved,declined\n" * 1000

    stored = object_store.put_bytes("credit_default/landing/2026-01-01.csv", data)

    assert object_store.get_bytes("credit_default/landing/2026-01-01.csv") == data
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.size == len(data)
    assert stored.uri == object_store.uri("credit_default/landing/2026-01-01.csv")


def test_uri_names_the_backend_location(object_store: ObjectStore, object_store_resource):
    uri = object_store.uri("credit_default/raw/dt=2026-01-01/data.parquet")

    assert uri.endswith("/credit_default/raw/dt=2026-01-01/data.parquet")
    if object_store_resource.uri.startswith("s3://"):
        assert uri.startswith(object_store_resource.uri + "/")
    else:
        assert uri.startswith("file:///")


def test_parquet_round_trip_and_column_subset(object_store: ObjectStore):
    frame = pd.DataFrame(
        {"income": [52000.0, 31000.5], "purpose": ["car", "home"], "defaulted": [0, 1]}
    )

    stored = object_store.put_parquet("m/raw/dt=2026-01-01/data.parquet", frame)

    pd.testing.assert_frame_equal(object_store.get_parquet(stored.key), frame)
    subset = object_store.get_parquet(stored.key, columns=["purpose"])
    assert list(subset.columns) == ["purpose"]
    assert stored.sha256 == hashlib.sha256(object_store.get_bytes(stored.key)).hexdigest()


def test_arrow_table_round_trip_keeps_types_and_reads_column_subsets(object_store: ObjectStore):
    table = pa.table(
        {
            "application_id": ["20260101-0000001", "20260101-0000002"],
            "income": [52000.0, None],
            "applied_at": pa.array([1, 2], type=pa.timestamp("ns")),
        }
    )

    stored = object_store.put_table("m/raw/2026-01-01.parquet", table)

    assert object_store.get_table(stored.key).equals(table)
    assert object_store.get_table(stored.key, columns=["income"]).column_names == ["income"]
    # Ids and timestamps keep min/max statistics, so readers can prune on them.
    meta = pq.ParquetFile(pa.BufferReader(object_store.get_bytes(stored.key))).metadata
    stats = {meta.schema.column(i).name: meta.row_group(0).column(i).statistics for i in range(3)}
    assert stats["application_id"].min == "20260101-0000001"
    assert stats["applied_at"].has_min_max


def test_etag_changes_only_when_the_object_is_replaced(object_store: ObjectStore):
    key = "credit_default/landing/applications/2026-01-01.csv"
    object_store.put_bytes(key, b"id,income\n1,52000\n")
    first = object_store.etag(key)

    assert object_store.etag(key) == first
    object_store.put_bytes(key, b"id,income\n1,52000\n2,31000\n")
    assert object_store.etag(key) != first
    with pytest.raises(ObjectNotFound, match="2026-01-02.csv"):
        object_store.etag("credit_default/landing/applications/2026-01-02.csv")


def test_a_listing_gives_the_same_etags_as_each_key(object_store: ObjectStore):
    keys = [f"credit_default/landing/outcomes/2026-01-0{day}.csv" for day in (1, 2)]
    for key in keys:
        object_store.put_bytes(key, key.encode())
    object_store.put_bytes("credit_default/raw/dt=2026-01-01/data.parquet", b"not landing")

    listed = object_store.list_etags("credit_default/landing/")
    assert listed == {key: object_store.etag(key) for key in keys}


def test_json_is_written_with_sorted_keys(object_store: ObjectStore):
    card = {"version": 3, "auc": 0.81, "features": ["income", "age"]}

    first = object_store.put_json("m/models/v3/card.json", card)
    second = object_store.put_json("m/models/v3/card.json", dict(reversed(card.items())))

    assert object_store.get_json("m/models/v3/card.json") == card
    assert first.sha256 == second.sha256  # equal content, equal hash, whatever the key order
    text = object_store.get_bytes("m/models/v3/card.json").decode()
    assert text.index('"auc"') < text.index('"features"') < text.index('"version"')
    assert json.loads(text) == card


def test_put_file_streams_a_local_file(object_store: ObjectStore, tmp_path):
    source = tmp_path / "model.txt"
    source.write_bytes(b"tree\n" * 300_000)

    stored = object_store.put_file("m/models/v1/model.txt", source)

    assert stored.size == source.stat().st_size
    assert stored.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert object_store.get_bytes("m/models/v1/model.txt") == source.read_bytes()


def test_overwrite_replaces_the_object(object_store: ObjectStore):
    object_store.put_bytes("m/drift/dt=2026-01-02/drift.json", b"old")
    object_store.put_bytes("m/drift/dt=2026-01-02/drift.json", b"new")

    assert object_store.get_bytes("m/drift/dt=2026-01-02/drift.json") == b"new"
    assert object_store.list("m/drift/") == ["m/drift/dt=2026-01-02/drift.json"]


def test_list_returns_sorted_keys_under_a_prefix(object_store: ObjectStore):
    for key in [
        "m/raw/dt=2026-01-02/data.parquet",
        "m/raw/dt=2026-01-01/data.parquet",
        "m/rawish/x",
        "m/features/dt=2026-01-01/data.parquet",
        "other/raw/x",
    ]:
        object_store.put_bytes(key, b"x")

    assert object_store.list("m/raw/") == [
        "m/raw/dt=2026-01-01/data.parquet",
        "m/raw/dt=2026-01-02/data.parquet",
    ]
    assert object_store.list("m/raw") == [*object_store.list("m/raw/"), "m/rawish/x"]
    assert len(object_store.list("")) == 5
    assert object_store.list("nothing/here/") == []


def test_exists_and_idempotent_delete(object_store: ObjectStore):
    object_store.put_bytes("m/reports/v1/evaluation.html", b"<html/>")

    assert object_store.exists("m/reports/v1/evaluation.html")
    assert not object_store.exists("m/reports/v1")  # a folder is not an object
    object_store.delete("m/reports/v1/evaluation.html")
    object_store.delete("m/reports/v1/evaluation.html")
    assert not object_store.exists("m/reports/v1/evaluation.html")


def test_delete_prefix_removes_only_that_prefix(object_store: ObjectStore):
    for day in range(1, 4):
        object_store.put_bytes(f"m/quarantine/dt=2026-01-0{day}/rows.parquet", b"x")
    object_store.put_bytes("m/raw/dt=2026-01-01/data.parquet", b"keep")

    assert object_store.delete_prefix("m/quarantine/") == 3
    assert object_store.list("m/") == ["m/raw/dt=2026-01-01/data.parquet"]
    assert object_store.delete_prefix("m/quarantine/") == 0


def test_missing_key_error_names_the_uri(object_store: ObjectStore):
    with pytest.raises(ObjectNotFound) as raised:
        object_store.get_bytes("m/models/v9/model.txt")

    assert isinstance(raised.value, KeyError)
    assert object_store.uri("m/models/v9/model.txt") in str(raised.value)
    with pytest.raises(ObjectNotFound):
        object_store.get_parquet("m/raw/dt=2026-01-01/data.parquet")


@pytest.mark.parametrize("key", ["", "/abs/key", "a//b", "../escape", "a/./b", "a/.hidden"])
def test_invalid_keys_are_refused(object_store: ObjectStore, key: str):
    with pytest.raises(ValueError, match="Invalid object key"):
        object_store.put_bytes(key, b"x")


def test_a_frame_that_cannot_be_serialized_publishes_nothing(object_store: ObjectStore):
    unserializable = pd.DataFrame({"mixed": [object(), object()]})

    with pytest.raises(Exception):  # noqa: B017 - pyarrow's error type is not ours to pin
        object_store.put_parquet("m/features/dt=2026-01-01/data.parquet", unserializable)

    assert not object_store.exists("m/features/dt=2026-01-01/data.parquet")
    assert object_store.list("") == []
    _assert_no_temp_files(object_store)


def test_a_write_failing_midway_keeps_the_previous_object(object_store: ObjectStore, monkeypatch):
    key = "m/training_sets/abc/train.parquet"
    previous = object_store.put_bytes(key, b"previous content")

    def write_half_then_fail(table, handle, *args, **kwargs):
        handle.write(b"PAR1" + b"\0" * 100_000)
        raise OSError("No space left on device")

    monkeypatch.setattr(pq, "write_table", write_half_then_fail)
    with pytest.raises(OSError, match="No space left"):
        object_store.put_parquet(key, pd.DataFrame({"x": [1]}))

    assert object_store.get_bytes(key) == b"previous content"
    assert object_store.list("") == [previous.key]
    _assert_no_temp_files(object_store)


def _assert_no_temp_files(store: ObjectStore) -> None:
    root = getattr(store, "root", None)
    if root is not None and root.exists():
        assert [p.name for p in root.rglob("*") if p.is_file() and p.name.startswith(".")] == []


@pytest.mark.parametrize("uri", ["s4://bucket/x", "file:///tmp/store", "gs://bucket"])
def test_an_object_store_with_another_scheme_is_refused(tmp_path, monkeypatch, uri):
    """A typo'd scheme (s4://) must not quietly become a local folder named 's4:'."""
    from resources.object_store_resource import ObjectStoreResource

    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=rf"ML_PLATFORM_OBJECT_STORE\) '{uri}' is neither"):
        ObjectStoreResource(uri=uri).get_store()
    assert list(tmp_path.iterdir()) == []
