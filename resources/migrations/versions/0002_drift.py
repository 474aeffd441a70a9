"""Drift results per day and the drift retrain sensor's decisions.

Revision ID: 0002_drift
Revises: 0001_model_registry
Create Date: 2026-11-29

Types are spelled out here rather than imported from ``resources.schema``: a migration is a
frozen record of one step, and must not change when the current schema does.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0002_drift"
down_revision = "0001_model_registry"
branch_labels = None
depends_on = None

LONG_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "drift_results",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("champion_version", sa.Integer, nullable=False),
        sa.Column("share", sa.Double, nullable=False),
        sa.Column("drifted_json", LONG_TEXT, nullable=False),
        sa.Column("columns_json", LONG_TEXT, nullable=False),
        sa.Column("rows_reference", sa.Integer, nullable=False),
        sa.Column("rows_current", sa.Integer, nullable=False),
        sa.Column("report_uri", sa.String(1024), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_drift_results"),
        sa.ForeignKeyConstraint(
            ["model", "champion_version"],
            ["model_versions.model", "model_versions.version"],
            name="fk_drift_results_model_champion_version",
        ),
    )
    op.create_index(
        "ix_drift_results_model_champion_version_day",
        "drift_results",
        ["model", "champion_version", "day"],
    )
    op.create_table(
        "retrain_decisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("evaluated_at", TIMESTAMP, nullable=False),
        sa.Column("triggered", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("window_start", sa.Date, nullable=True),
        sa.Column("window_end", sa.Date, nullable=True),
        sa.Column("run_key", sa.String(255), nullable=True),
        sa.Column("drift_share", sa.Double, nullable=True),
        sa.Column("champion_version", sa.Integer, nullable=True),
        sa.Column("tags_json", LONG_TEXT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_retrain_decisions"),
    )
    op.create_index(
        "ix_retrain_decisions_model_triggered", "retrain_decisions", ["model", "triggered"]
    )


def downgrade() -> None:
    op.drop_table("retrain_decisions")
    op.drop_table("drift_results")
