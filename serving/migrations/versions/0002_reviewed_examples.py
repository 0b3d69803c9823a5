"""Reviewed complaints as training examples: the complaint's form fields on predictions, the kind of
feedback (correct / accept) and whether its label is new. Existing rows keep everything: old
predictions get no form fields (NULL), old feedback rows are corrections of known labels.

Revision ID: 0002
Revises: 0001
Create Date: 2024-07-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

FORM_FIELDS = ("alamat", "kecamatan", "kelurahan", "known_topic")


def upgrade() -> None:
    with op.batch_alter_table("predictions") as batch:
        for name in FORM_FIELDS:
            batch.add_column(sa.Column(name, sa.Text(), nullable=True))
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(sa.Column("kind", sa.String(10), nullable=False, server_default="correct"))
        batch.add_column(sa.Column("new_label", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("new_label")
        batch.drop_column("kind")
    with op.batch_alter_table("predictions") as batch:
        for name in reversed(FORM_FIELDS):
            batch.drop_column(name)
