"""The audit ledger, reviewers' approvals, and who trained each version.

Revision ID: 0004_audit_ledger
Revises: 0003_stage_code_versions
Create Date: 2026-11-30

``audit_ledger`` is append-only and hash-chained per model; ``approvals`` holds reviewers'
decisions on versions that wait for one; ``model_versions.trained_by`` names the actor who
trained a version (NULL for versions registered before this revision).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0004_audit_ledger"
down_revision = "0003_stage_code_versions"
branch_labels = None
depends_on = None

_LONG_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
_TIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    with op.batch_alter_table("model_versions") as batch:
        batch.add_column(sa.Column("trained_by", sa.String(128), nullable=True))
    op.create_table(
        "approvals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("reviewer", sa.String(128), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["model", "version"],
            ["model_versions.model", "model_versions.version"],
            name="fk_approvals_model_version",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_approvals"),
    )
    op.create_index("ix_approvals_model_version", "approvals", ["model", "version"])
    op.create_table(
        "audit_ledger",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=True),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("payload_json", _LONG_TEXT, nullable=False),
        sa.Column("artifacts_json", _LONG_TEXT, nullable=False),
        sa.Column("previous_sha256", sa.String(64), nullable=True),
        sa.Column("record_sha256", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_ledger"),
        sa.UniqueConstraint("model", "sequence", name="uq_audit_ledger_model_sequence"),
    )


def downgrade() -> None:
    op.drop_table("audit_ledger")
    op.drop_index("ix_approvals_model_version", table_name="approvals")
    op.drop_table("approvals")
    with op.batch_alter_table("model_versions") as batch:
        batch.drop_column("trained_by")
