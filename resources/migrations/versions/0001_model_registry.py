"""Model registry: versions, evaluations, the champion alias and its history.

Revision ID: 0001_model_registry
Revises:
Create Date: 2026-11-29

The types are spelled out here rather than imported from ``resources.schema``: a migration is a
frozen record of one step, and must not change when the current schema does.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0001_model_registry"
down_revision = None
branch_labels = None
depends_on = None

LONG_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _version_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["model", column],
        ["model_versions.model", "model_versions.version"],
        name=f"fk_{table}_model_{column}",
    )


def upgrade() -> None:
    op.create_table(
        "model_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("artifact_uri", sa.String(1024), nullable=False),
        sa.Column("model_sha256", sa.String(64), nullable=False),
        sa.Column("training_set_fingerprint", sa.String(128), nullable=False),
        sa.Column("code_version", sa.String(64), nullable=False),
        sa.Column("git_commit", sa.String(64), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("params_json", LONG_TEXT, nullable=False),
        sa.Column("windows_json", LONG_TEXT, nullable=False),
        sa.Column("metrics_json", LONG_TEXT, nullable=True),
        sa.Column("feature_list_json", LONG_TEXT, nullable=False),
        sa.Column("spec_json", LONG_TEXT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_model_versions"),
        sa.UniqueConstraint("model", "version", name="uq_model_versions_model_version"),
    )
    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("metrics_json", LONG_TEXT, nullable=False),
        sa.Column("gates_json", LONG_TEXT, nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("report_uri", sa.String(1024), nullable=False),
        sa.Column("report_sha256", sa.String(64), nullable=False),
        sa.Column("champion_version", sa.Integer, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_evaluations"),
        _version_fk("evaluations", "version"),
    )
    op.create_index("ix_evaluations_model_version", "evaluations", ["model", "version"])
    op.create_table(
        "alias_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("alias", sa.String(32), nullable=False),
        sa.Column("from_version", sa.Integer, nullable=True),
        sa.Column("to_version", sa.Integer, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alias_events"),
        _version_fk("alias_events", "to_version"),
    )
    op.create_index("ix_alias_events_model_alias", "alias_events", ["model", "alias"])
    op.create_table(
        "model_aliases",
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("alias", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("event_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("model", "alias", name="pk_model_aliases"),
        sa.ForeignKeyConstraint(
            ["event_id"], ["alias_events.id"], name="fk_model_aliases_event_id"
        ),
        _version_fk("model_aliases", "version"),
    )


def downgrade() -> None:
    op.drop_table("model_aliases")
    op.drop_table("alias_events")
    op.drop_table("evaluations")
    op.drop_table("model_versions")
