"""The audit ledger on SQLite and MariaDB: one record per registry change, written in the same
transaction, a hash chain that ``verify_ledger`` recomputes, and the decisions people make
(approval, rejection, override, rollback) on record.
"""

import datetime as dt
import hashlib
import json

import pytest
import sqlalchemy as sa

from ml_platform_assets.registry import ModelRegistry, Override, RegistryError, Status
from ml_platform_assets.registry import ledger as ledger_module
from ml_platform_assets.registry.audit import verify_ledger
from ml_platform_assets.registry.chain import canonical_bytes, record_hash
from ml_platform_assets.registry.ledger_records import Artifact
from resources.schema import (
    alias_events,
    audit_ledger,
    evaluations,
    model_aliases,
    model_versions,
    utcnow,
)

MODEL = "credit_default"


class _Store:
    """Artifacts by key, as the object store would hand back their bytes."""

    def __init__(self):
        self.objects: dict[str, bytes] = {}

    def put(self, key: str, data: bytes) -> Artifact:
        self.objects[key] = data
        return Artifact(key, f"memory://{key}", hashlib.sha256(data).hexdigest())

    def sha256(self, key: str) -> str | None:
        data = self.objects.get(key)
        return None if data is None else hashlib.sha256(data).hexdigest()


def _register(registry: ModelRegistry, store: _Store, *, trained_by="alice", approval=False) -> int:
    def publish(version: int):
        model = store.put(f"{MODEL}/models/v{version}/model.txt", f"tree v{version}".encode())
        return model.uri, [model]

    return registry.register_version(
        MODEL,
        publish=publish,
        trained_by=trained_by,
        model_sha256="ab" * 32,
        training_set_fingerprint="f1e2d3",
        code_version="training-v1",
        git_commit=None,
        params={"num_leaves": 31},
        windows={"train_start": "2026-01-01"},
        features=["income"],
        spec={"name": MODEL, "decision": {"cutoff": 0.15, "requires_approval": approval}},
    ).version


def _evaluate(registry: ModelRegistry, store: _Store, version: int, passed=True, auc=0.8):
    report = store.put(f"{MODEL}/reports/v{version}/evaluation.json", b'{"auc": %f}' % auc)
    gates = [{"name": "min_auc", "passed": passed, "description": f"OOT AUC {auc} must be >= 0.7"}]
    registry.record_evaluation(
        MODEL,
        version,
        metrics={"auc": auc, "ks": 0.41},
        gates=gates,
        passed=passed,
        report_uri=report.uri,
        report_sha256=report.sha256,
        champion_version=None,
        actor="dagster run r1",
        artifacts=[report],
    )


def _verify(registry: ModelRegistry, store: _Store) -> list[str]:
    (check,) = verify_ledger(registry.engine, store.sha256, MODEL)
    return [str(p) for p in check.problems]


@pytest.fixture
def store() -> _Store:
    return _Store()


@pytest.fixture
def lifecycle(registry: ModelRegistry, store: _Store) -> ModelRegistry:
    """v1 champion, v2 promoted over it, then rolled back: six kinds of record."""
    for _ in range(2):
        version = _register(registry, store)
        _evaluate(registry, store, version)
        registry.promote(MODEL, version, reason=f"v{version} passed", actor="dagster run r1")
    registry.rollback(MODEL, reason="v2 misbehaves", actor="bob", approver="carol")
    return registry


def test_every_registry_change_appends_one_chained_record(lifecycle, store):
    records = lifecycle.audit_history(MODEL)

    assert [(r.event_type, r.version) for r in records] == [
        ("registered", 1),
        ("evaluated", 1),
        ("promoted", 1),
        ("registered", 2),
        ("evaluated", 2),
        ("promoted", 2),
        ("rolled_back", 1),
    ]
    assert [r.sequence for r in records] == list(range(1, 8))
    assert records[0].previous_sha256 is None
    for previous, record in zip(records, records[1:], strict=False):
        assert record.previous_sha256 == previous.record_sha256
    assert records[0].actor == "alice" and records[0].artifacts[0]["sha256"] == store.sha256(
        f"{MODEL}/models/v1/model.txt"
    )
    assert records[-1].payload["approver"] == "carol" and records[-1].actor == "bob"
    assert _verify(lifecycle, store) == []


def test_the_hash_is_sha256_of_the_documented_canonical_json(lifecycle):
    record = lifecycle.audit_history(MODEL)[1]
    document = {
        "actor": record.actor,
        "artifacts": record.artifacts,
        "created_at": record.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "event_type": record.event_type,
        "model": record.model,
        "payload": record.payload,
        "previous_sha256": record.previous_sha256,
        "sequence": record.sequence,
        "version": record.version,
    }
    # Written out independently of the module: sorted keys, no whitespace, UTF-8.
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(text.encode()).hexdigest() == record.record_sha256
    assert record_hash(record) == record.record_sha256


def test_non_finite_numbers_are_recorded_as_null():
    data = canonical_bytes(
        model="m",
        sequence=1,
        version=1,
        event_type="evaluated",
        actor="a",
        created_at=utcnow(),
        payload={"ks": float("nan"), "lift": float("inf")},
        artifacts=[],
        previous_sha256=None,
    )
    assert b'"ks":null' in data and b'"lift":null' in data


def test_a_failed_ledger_write_undoes_the_registry_change(registry, store, monkeypatch):
    version = _register(registry, store)
    _evaluate(registry, store, version)

    def broken(*args, **kwargs):
        raise RuntimeError("ledger unavailable")

    monkeypatch.setattr(ledger_module, "append", broken)
    with pytest.raises(RuntimeError, match="ledger unavailable"):
        registry.promote(MODEL, version, reason="passed", actor="run")
    assert registry.champion(MODEL) is None and registry.alias_history(MODEL) == []
    assert registry.get_version(MODEL, version).status == Status.EVALUATED


def _execute(registry: ModelRegistry, statement) -> None:
    with registry.engine.begin() as conn:
        conn.execute(statement)


def _row(registry: ModelRegistry, sequence: int):
    with registry.engine.connect() as conn:
        query = sa.select(audit_ledger).where(
            audit_ledger.c.model == MODEL, audit_ledger.c.sequence == sequence
        )
        return conn.execute(query).one()


def test_verify_names_a_record_whose_payload_was_altered(lifecycle, store):
    row = _row(lifecycle, 5)
    payload = json.loads(row.payload_json)
    payload["row"]["metrics"]["auc"] = 0.99
    _execute(
        lifecycle,
        audit_ledger.update()
        .where(audit_ledger.c.id == row.id)
        .values(payload_json=json.dumps(payload)),
    )

    problems = _verify(lifecycle, store)
    assert problems and problems[0].startswith(f"{MODEL} record #5: its content no longer")


def test_verify_names_the_gap_a_deleted_record_leaves(lifecycle, store):
    _execute(lifecycle, audit_ledger.delete().where(audit_ledger.c.id == _row(lifecycle, 3).id))

    problems = _verify(lifecycle, store)
    assert problems[0].startswith(f"{MODEL} record #4: sequence number 4 where 3 was expected")
    # The alias move it recorded is now unaccounted for as well.
    assert any("alias_events row 1" in p and "no ledger record" in p for p in problems)


def test_verify_catches_a_record_forged_with_a_consistent_hash(lifecycle, store):
    """An inserted approval that chains correctly still names no approvals row."""
    last = lifecycle.audit_history(MODEL)[-1]
    fields = dict(
        model=MODEL,
        sequence=last.sequence + 1,
        version=2,
        event_type="approved",
        actor="mallory",
        created_at=utcnow(),
        payload={"registry_row": {"table": "approvals", "id": 77}, "row": {"version": 2}},
        artifacts=[],
        previous_sha256=last.record_sha256,
    )
    digest = hashlib.sha256(canonical_bytes(**fields)).hexdigest()
    _execute(
        lifecycle,
        audit_ledger.insert().values(
            model=MODEL,
            sequence=fields["sequence"],
            version=2,
            event_type="approved",
            actor="mallory",
            created_at=fields["created_at"],
            payload_json=json.dumps(fields["payload"]),
            artifacts_json="[]",
            previous_sha256=last.record_sha256,
            record_sha256=digest,
        ),
    )

    assert _verify(lifecycle, store) == [
        f"{MODEL} record #8: approvals row 77 it records no longer exists"
    ]


def test_verify_catches_a_record_inserted_inside_the_chain(lifecycle, store):
    # Make room at #3 by renumbering the later records, as an editor of the table could.
    with lifecycle.engine.begin() as conn:
        for sequence in range(7, 2, -1):
            conn.execute(
                audit_ledger.update()
                .where(audit_ledger.c.model == MODEL, audit_ledger.c.sequence == sequence)
                .values(sequence=sequence + 1)
            )
        row = _row(lifecycle, 2)
        values = {k: v for k, v in row._mapping.items() if k != "id"}
        conn.execute(audit_ledger.insert().values({**values, "sequence": 3}))

    problems = _verify(lifecycle, store)
    assert problems[0].startswith(f"{MODEL} record #3:")


def test_verify_catches_two_records_swapped(lifecycle, store):
    first, second = _row(lifecycle, 2), _row(lifecycle, 3)
    with lifecycle.engine.begin() as conn:
        for row, sequence in ((first, -1), (second, 2), (first, 3)):
            conn.execute(
                audit_ledger.update().where(audit_ledger.c.id == row.id).values(sequence=sequence)
            )

    problems = _verify(lifecycle, store)
    assert problems[0].startswith(f"{MODEL} record #2:")


def test_verify_catches_a_replaced_artifact(lifecycle, store):
    store.objects[f"{MODEL}/models/v2/model.txt"] = b"a different tree"

    problems = _verify(lifecycle, store)
    assert problems == [
        f"{MODEL} record #4: artifact memory://{MODEL}/models/v2/model.txt no longer matches: "
        f"sha256 {store.sha256(f'{MODEL}/models/v2/model.txt')[:12]}… in the store, "
        f"{hashlib.sha256(b'tree v2').hexdigest()[:12]}… on record"
    ]


def test_verify_catches_a_registry_row_edited_behind_the_ledger(lifecycle, store):
    _execute(lifecycle, evaluations.update().where(evaluations.c.id == 2).values(passed=False))

    assert _verify(lifecycle, store) == [
        f"{MODEL} record #5: evaluations row 2 no longer says what was recorded: passed differs"
    ]


def test_a_completed_report_is_checked_against_its_newest_record(registry, store):
    version = _register(registry, store)
    _evaluate(registry, store, version)
    completed = store.put(f"{MODEL}/reports/v{version}/evaluation.json", b'{"decision": "x"}')
    registry.record_report(
        MODEL,
        version,
        report_uri=completed.uri,
        report_sha256=completed.sha256,
        artifacts=[completed],
    )
    assert _verify(registry, store) == []

    _execute(registry, evaluations.update().values(report_sha256="0" * 64))
    assert _verify(registry, store) == [
        f"{MODEL} its chain: evaluations row 1 names a report sha256 that no record gave"
    ]


def test_approval_waits_for_a_reviewer_who_did_not_train_it(registry, store):
    version = _register(registry, store, trained_by="alice", approval=True)
    _evaluate(registry, store, version)
    with pytest.raises(RegistryError, match="needs a reviewer's approval"):
        registry.promote(MODEL, version, reason="passed", actor="run")

    assert registry.request_approval(MODEL, version, actor="dagster run r1")
    assert not registry.request_approval(MODEL, version, actor="dagster run r2")  # already
    assert registry.get_version(MODEL, version).status == Status.PENDING_APPROVAL
    with pytest.raises(RegistryError, match="v1 was trained by alice, who may not review it"):
        registry.decide_approval(MODEL, version, approve=True, reviewer="Alice", note="ok")

    event = registry.decide_approval(
        MODEL, version, approve=True, reviewer="bob", note="validation report reviewed"
    )

    assert registry.champion(MODEL).version == version and event.actor == "bob"
    kinds = [r.event_type for r in registry.audit_history(MODEL)]
    assert kinds == ["registered", "evaluated", "pending_approval", "approved", "promoted"]
    assert registry.approvals(MODEL)[0]["reviewer"] == "bob"
    assert _verify(registry, store) == []


def test_a_rejected_version_is_not_promoted(registry, store):
    version = _register(registry, store, approval=True)
    _evaluate(registry, store, version)
    registry.request_approval(MODEL, version, actor="run")

    assert (
        registry.decide_approval(
            MODEL, version, approve=False, reviewer="bob", note="fairness needs a closer look"
        )
        is None
    )

    assert registry.champion(MODEL) is None
    assert registry.get_version(MODEL, version).status == Status.REJECTED
    assert registry.audit_history(MODEL)[-1].payload["row"]["note"] == (
        "fairness needs a closer look"
    )
    with pytest.raises(RegistryError, match="is rejected, not waiting for approval"):
        registry.decide_approval(MODEL, version, approve=True, reviewer="carol", note="x")


def test_an_override_promotes_a_failed_version_only_with_an_approver_and_reason(registry, store):
    version = _register(registry, store, trained_by="alice")
    _evaluate(registry, store, version, passed=False, auc=0.65)
    with pytest.raises(RegistryError, match="failed a promotion gate .OOT AUC 0.65"):
        registry.promote(MODEL, version, reason="try", actor="alice")
    with pytest.raises(RegistryError, match="needs an approver and a reason"):
        registry.promote(MODEL, version, reason="x", actor="a", override=Override(" ", "why"))
    with pytest.raises(RegistryError, match="trained by alice, who may not approve its override"):
        registry.promote(MODEL, version, reason="x", actor="a", override=Override("alice", "y"))

    registry.promote(
        MODEL,
        version,
        reason="override: the only model for a new product",
        actor="carol",
        override=Override("carol", "the only model for a new product"),
    )

    record = registry.audit_history(MODEL)[-1]
    assert record.event_type == "override" and record.payload["approver"] == "carol"
    assert [g["name"] for g in record.payload["failed_gates"]] == ["min_auc"]
    assert registry.champion(MODEL).version == version
    assert _verify(registry, store) == []


def test_a_passing_version_needs_no_override(registry, store):
    version = _register(registry, store)
    _evaluate(registry, store, version)
    with pytest.raises(RegistryError, match="passed every gate: it needs no override"):
        registry.promote(MODEL, version, reason="x", actor="a", override=Override("bob", "y"))


def test_rollback_to_a_named_earlier_champion(registry, store):
    versions = [_register(registry, store) for _ in range(3)]
    for version in versions:
        _evaluate(registry, store, version)
        registry.promote(MODEL, version, reason="passed", actor="run")
    with pytest.raises(RegistryError, match="v3 is already the champion"):
        registry.rollback(MODEL, reason="r", actor="a", to_version=3)

    with pytest.raises(RegistryError, match="has no version 9"):
        registry.rollback(MODEL, reason="r", actor="a", to_version=9)
    unserved = _register(registry, store)
    with pytest.raises(RegistryError, match="v4 has never been the champion: .*here: v1, v2"):
        registry.rollback(MODEL, reason="r", actor="a", to_version=unserved)

    registry.rollback(MODEL, reason="v2 and v3 misprice", actor="bob", to_version=1)

    assert registry.champion(MODEL).version == 1
    with pytest.raises(RegistryError, match="no earlier champion to roll back to"):
        registry.rollback(MODEL, reason="again", actor="bob")  # v2 and v3 were skipped
    record = registry.audit_history(MODEL)[-1]
    assert record.event_type == "rolled_back" and record.payload["row"]["from_version"] == 3
    assert _verify(registry, store) == []


def test_verify_catches_the_champion_pointer_moved_behind_the_ledger(lifecycle, store):
    from resources.schema import model_aliases

    _execute(lifecycle, model_aliases.update().values(version=2))  # the rolled-back one

    assert _verify(lifecycle, store) == [
        f"{MODEL} its chain: the champion pointer names v2 (alias event 3), but record #7 made "
        "v1 champion (alias event 3)"
    ]


def test_verify_catches_a_second_version_marked_champion(lifecycle, store):
    from resources.schema import model_versions

    _execute(
        lifecycle,
        model_versions.update().where(model_versions.c.version == 2).values(status="champion"),
    )

    assert _verify(lifecycle, store) == [
        f"{MODEL} its chain: versions marked champion are v1, v2, but record #7 made v1 champion"
    ]


@pytest.mark.parametrize(
    ("column", "value", "field"),
    [
        ("trained_by", "zed", "trained_by"),
        ("params_json", '{"num_leaves": 9}', "params"),
        ("windows_json", '{"train_start": "2025-12-01"}', "windows"),
        ("spec_json", '{"name": "credit_default"}', "spec"),
    ],
)
def test_verify_catches_a_versions_provenance_edited(lifecycle, store, column, value, field):
    from resources.schema import model_versions

    _execute(
        lifecycle,
        model_versions.update().where(model_versions.c.version == 1).values({column: value}),
    )

    assert _verify(lifecycle, store) == [
        f"{MODEL} record #1: model_versions row 1 no longer says what was recorded: {field} differs"
    ]


def _rewrite_last_record(registry: ModelRegistry, edit) -> None:
    """Edits the newest record's payload and rehashes it: the chain stays intact."""
    row = _row(registry, len(registry.audit_history(MODEL)))
    payload = json.loads(row.payload_json)
    edit(payload)
    fields = {
        name: getattr(row, name)
        for name in ("model", "sequence", "version", "event_type", "actor", "created_at")
    }
    data = canonical_bytes(
        **fields,
        payload=payload,
        artifacts=json.loads(row.artifacts_json),
        previous_sha256=row.previous_sha256,
    )
    _execute(
        registry,
        audit_ledger.update()
        .where(audit_ledger.c.id == row.id)
        .values(payload_json=json.dumps(payload), record_sha256=hashlib.sha256(data).hexdigest()),
    )


def test_verify_names_a_record_that_leaves_out_a_field_it_must_carry(lifecycle, store):
    _rewrite_last_record(lifecycle, lambda payload: payload["row"].pop("reason"))

    assert _verify(lifecycle, store) == [
        f"{MODEL} record #7: it leaves out reason, which a rolled_back record must carry"
    ]


def test_verify_names_an_evaluation_record_without_its_report_checksum(registry, store):
    _evaluate(registry, store, _register(registry, store))
    _rewrite_last_record(registry, lambda payload: payload.pop("report_sha256"))

    assert _verify(registry, store) == [
        f"{MODEL} its chain: evaluations row 1 names a report sha256 that no record gave"
    ]


_LONG_AGO = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def test_verify_names_registry_rows_older_than_the_chain(lifecycle, store):
    with lifecycle.engine.begin() as conn:
        first = conn.execute(sa.select(model_versions).where(model_versions.c.id == 1)).one()
        values = {k: v for k, v in first._mapping.items() if k != "id"}
        values.update(version=3, status=Status.TRAINED, created_at=_LONG_AGO)
        conn.execute(model_versions.insert().values(values))

    assert _verify(lifecycle, store) == [
        f"{MODEL} its chain: model_versions row 3 (written 2020-01-01 00:00:00 UTC) has no ledger "
        "record: it was added around the ledger, or its record was removed"
    ]


def test_verify_names_a_champion_no_record_made_however_old(registry, store):
    version = _register(registry, store)
    _evaluate(registry, store, version)
    _execute(registry, model_versions.update().values(status=Status.CHAMPION))
    assert _verify(registry, store) == [
        f"{MODEL} its chain: versions marked champion are v1, but no record made any champion"
    ]

    with registry.engine.begin() as conn:
        event_id = conn.execute(
            alias_events.insert().values(
                model=MODEL,
                alias="champion",
                from_version=None,
                to_version=version,
                action="promote",
                reason="set by hand",
                actor="mallory",
                created_at=_LONG_AGO,
            )
        ).inserted_primary_key[0]
        conn.execute(
            model_aliases.insert().values(
                model=MODEL,
                alias="champion",
                version=version,
                updated_at=_LONG_AGO,
                event_id=event_id,
            )
        )

    assert _verify(registry, store) == [
        f"{MODEL} its chain: alias_events row {event_id} (written 2020-01-01 00:00:00 UTC) has no "
        "ledger record: it was added around the ledger, or its record was removed",
        f"{MODEL} its chain: the champion pointer names v1, but no record made it champion",
    ]


def test_verify_of_every_model_names_one_whose_whole_chain_was_removed(lifecycle, store):
    _execute(lifecycle, audit_ledger.delete().where(audit_ledger.c.model == MODEL))

    (check,) = verify_ledger(lifecycle.engine, store.sha256)

    assert check.model == MODEL and check.records == 0
    problems = [str(p) for p in check.problems]
    assert len(problems) == 8  # two versions, two evaluations, three alias moves, the pointer
    assert all("has no ledger record" in p for p in problems[:7])
    assert problems[-1].endswith("the champion pointer names v1, but no record made it champion")
