"""Course memberships: the officials seen in each course (by a launch or the platform's member list) and the
roles they held there, kept after launches expire so a roster can be listed while the member list is
unreachable.

Revision ID: 0002_course_memberships
Revises: 0001_domain
Create Date: 2026-11-29 10:00:00.000000
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa



revision = '0002_course_memberships'
down_revision = '0001_domain'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('course_memberships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('context_id', sa.Integer(), nullable=False),
    sa.Column('official_id', sa.Integer(), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['context_id'], ['contexts.id'], name=op.f('fk_course_memberships_context_id_contexts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['official_id'], ['officials.id'], name=op.f('fk_course_memberships_official_id_officials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_memberships')),
    sa.UniqueConstraint('context_id', 'official_id', name=op.f('uq_course_memberships_context_id_official_id'))
    )


def downgrade() -> None:
    op.drop_table('course_memberships')
