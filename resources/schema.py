"""The platform's database tables as SQLAlchemy Core ``Table`` objects.

Types are chosen to behave the same on SQLite and MariaDB/MySQL: bounded strings for keys,
MEDIUMTEXT for JSON on MySQL (TEXT stops at 64 KiB), and timestamps stored as naive UTC with
microseconds, handed back as timezone-aware UTC. The Alembic migrations in
``resources/migrations`` create these tables; a test checks that the two agree.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from typing_extensions import override

# Alembic's bookkeeping table; not the default name, which Dagster's own storage also uses.
VERSION_TABLE = "ml_platform_schema_version"
# The newest migration: the schema this code reads (a test keeps it equal to Alembic's head).
SCHEMA_REVISION = "0004_audit_ledger"

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

LongText = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")


class UTCDateTime(sa.TypeDecorator):
    """A timestamp stored as naive UTC and read back as aware UTC; naive input is refused."""

    impl = sa.DateTime
    cache_ok = True

    @override
    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine:
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(sa.DateTime())

    @override
    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"Refusing a naive timestamp {value!r}: pass an aware UTC time.")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    @override
    def process_result_value(self, value: dt.datetime | None, dialect: sa.Dialect):
        return None if value is None else value.replace(tzinfo=dt.UTC)


def utcnow() -> dt.datetime:
    """The current time as an aware UTC timestamp."""
    return dt.datetime.now(dt.UTC)


model_versions = sa.Table(
    "model_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("artifact_uri", sa.String(1024), nullable=False),
    sa.Column("model_sha256", sa.String(64), nullable=False),
    sa.Column("training_set_fingerprint", sa.String(128), nullable=False),
    sa.Column("code_version", sa.String(255), nullable=False),
    sa.Column("git_commit", sa.String(64), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("params_json", LongText, nullable=False),
    sa.Column("windows_json", LongText, nullable=False),
    sa.Column("metrics_json", LongText, nullable=True),
    sa.Column("feature_list_json", LongText, nullable=False),
    sa.Column("spec_json", LongText, nullable=False),
    # Who trained it: the reviewer who approves it must be someone else. NULL before 0004.
    sa.Column("trained_by", sa.String(128), nullable=True),
    sa.UniqueConstraint("model", "version"),
)

evaluations = sa.Table(
    "evaluations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("metrics_json", LongText, nullable=False),
    sa.Column("gates_json", LongText, nullable=False),
    sa.Column("passed", sa.Boolean, nullable=False),
    sa.Column("report_uri", sa.String(1024), nullable=False),
    sa.Column("report_sha256", sa.String(64), nullable=False),
    sa.Column("champion_version", sa.Integer, nullable=True),
    sa.ForeignKeyConstraint(
        ["model", "version"], ["model_versions.model", "model_versions.version"]
    ),
    sa.Index(None, "model", "version"),
)

alias_events = sa.Table(
    "alias_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model", sa.String(64), nullable=False),
    sa.Column("alias", sa.String(32), nullable=False),
    sa.Column("from_version", sa.Integer, nullable=True),
    sa.Column("to_version", sa.Integer, nullable=False),
    # 'promote' or 'rollback': rollbacks pop the champion stack instead of pushing onto it.
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.ForeignKeyConstraint(
        ["model", "to_version"], ["model_versions.model", "model_versions.version"]
    ),
    sa.Index(None, "model", "alias"),
)

model_aliases = sa.Table(
    "model_aliases",
    metadata,
    sa.Column("model", sa.String(64), primary_key=True),
    sa.Column("alias", sa.String(32), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("event_id", sa.Integer, sa.ForeignKey("alias_events.id"), nullable=False),
    sa.ForeignKeyConstraint(
        ["model", "version"], ["model_versions.model", "model_versions.version"]
    ),
)

# Drift: one row per drift_report materialization. A rerun of a day appends a row rather than
# replacing one, so the history of what the sensor saw is kept and row ids only grow (the
# sensor's cursor); readers take the newest row per (model, day, champion_version).
drift_results = sa.Table(
    "drift_results",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model", sa.String(64), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("champion_version", sa.Integer, nullable=False),
    sa.Column("share", sa.Double, nullable=False),
    sa.Column("drifted_json", LongText, nullable=False),
    sa.Column("columns_json", LongText, nullable=False),
    sa.Column("rows_reference", sa.Integer, nullable=False),
    sa.Column("rows_current", sa.Integer, nullable=False),
    sa.Column("report_uri", sa.String(1024), nullable=False),
    sa.Column("run_id", sa.String(64), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.ForeignKeyConstraint(
        ["model", "champion_version"], ["model_versions.model", "model_versions.version"]
    ),
    sa.Index(None, "model", "champion_version", "day"),
)

# Append-only: every evaluation of the drift retrain sensor, triggered or not, with its reason.
retrain_decisions = sa.Table(
    "retrain_decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model", sa.String(64), nullable=False),
    sa.Column("evaluated_at", UTCDateTime, nullable=False),
    sa.Column("triggered", sa.Boolean, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("window_start", sa.Date, nullable=True),
    sa.Column("window_end", sa.Date, nullable=True),
    sa.Column("run_key", sa.String(255), nullable=True),
    sa.Column("drift_share", sa.Double, nullable=True),
    sa.Column("champion_version", sa.Integer, nullable=True),
    sa.Column("tags_json", LongText, nullable=False),
    sa.Index(None, "model", "triggered"),
)

# A reviewer's decision on a version that passed its gates and waits for approval.
approvals = sa.Table(
    "approvals",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    # 'approved' or 'rejected'
    sa.Column("decision", sa.String(16), nullable=False),
    sa.Column("reviewer", sa.String(128), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.ForeignKeyConstraint(
        ["model", "version"], ["model_versions.model", "model_versions.version"]
    ),
    sa.Index(None, "model", "version"),
)

# Append-only and hash-chained per model (see ml_platform_assets/registry/ledger.py): the
# application inserts and selects, never updates or deletes (deploy/README.md grants exactly
# that on MySQL). ``sequence`` numbers a model's records 1, 2, ... without gaps; the unique
# constraint makes two writers racing for the same place fail instead of forking the chain.
audit_ledger = sa.Table(
    "audit_ledger",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model", sa.String(64), nullable=False),
    sa.Column("sequence", sa.Integer, nullable=False),
    sa.Column("version", sa.Integer, nullable=True),
    sa.Column("event_type", sa.String(32), nullable=False),
    sa.Column("actor", sa.String(255), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("payload_json", LongText, nullable=False),
    sa.Column("artifacts_json", LongText, nullable=False),
    sa.Column("previous_sha256", sa.String(64), nullable=True),
    sa.Column("record_sha256", sa.String(64), nullable=False),
    sa.UniqueConstraint("model", "sequence"),
)
