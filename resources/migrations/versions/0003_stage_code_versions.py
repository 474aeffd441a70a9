"""Room for every stage's code version: features, training set and training.

Revision ID: 0003_stage_code_versions
Revises: 0002_drift
Create Date: 2026-11-30

A model version's ``code_version`` now names the code version of each stage that shaped it
(``features-v3-…; training_set-v2-…; training-v2-…``), which does not fit in 64 characters.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_stage_code_versions"
down_revision = "0002_drift"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch_alter_table: SQLite cannot alter a column in place; on MySQL it is a plain ALTER.
    with op.batch_alter_table("model_versions") as batch:
        batch.alter_column(
            "code_version",
            existing_type=sa.String(64),
            type_=sa.String(255),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("model_versions") as batch:
        batch.alter_column(
            "code_version",
            existing_type=sa.String(255),
            type_=sa.String(64),
            existing_nullable=False,
        )
