"""The whole domain schema: platforms and launches, officials and municipalities, courses,
the catalogue, completions, enrollments, certifications, cycles and fees, credentials, the LMS
outbox, CARES progress, settings and the audit log.

Timestamps are naive UTC (`UTCDateTime`), hours and points are integer hundredths (`Hundredths`).

Revision ID: 0001_domain
Revises: 
Create Date: 2026-11-22 18:26:32.338673
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa



revision = '0001_domain'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('activities',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('hours', sa.Integer(), nullable=True),
    sa.Column('points', sa.Integer(), nullable=True),
    sa.Column('format', sa.String(length=64), nullable=False),
    sa.Column('provider', sa.String(length=64), nullable=False),
    sa.Column('areas', sa.JSON(), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=True),
    sa.Column('passing_fraction', sa.Integer(), nullable=False),
    sa.Column('counts_once_per', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('aliases', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activities'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.Column('action', sa.String(length=128), nullable=False),
    sa.Column('subject_type', sa.String(length=64), nullable=False),
    sa.Column('subject_id', sa.String(length=255), nullable=False),
    sa.Column('origin', sa.String(length=255), nullable=True),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index('ix_audit_log_subject', ['subject_type', 'subject_id'], unique=False)

    op.create_table('municipalities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('ccm_member', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_municipalities')),
    sa.UniqueConstraint('name', name=op.f('uq_municipalities_name'))
    )
    op.create_table('platforms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('issuer', sa.String(length=2048), nullable=False),
    sa.Column('client_id', sa.String(length=255), nullable=False),
    sa.Column('auth_login_url', sa.String(length=2048), nullable=False),
    sa.Column('auth_token_url', sa.String(length=2048), nullable=False),
    sa.Column('keyset_url', sa.String(length=2048), nullable=False),
    sa.Column('auth_audience', sa.String(length=2048), nullable=True),
    sa.Column('registered_by', sa.String(length=64), nullable=False),
    sa.Column('registration_details', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platforms')),
    sa.UniqueConstraint('issuer', 'client_id', name=op.f('uq_platforms_issuer_client_id'))
    )
    op.create_table('settings',
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('value', sa.JSON(), nullable=True),
    sa.Column('updated_by', sa.String(length=255), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_settings'))
    )
    op.create_table('tool_keys',
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('public_jwk', sa.JSON(), nullable=False),
    sa.Column('retired_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('kid', name=op.f('pk_tool_keys'))
    )
    op.create_table('access_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('scopes', sa.Text(), nullable=False),
    sa.Column('token', sa.Text(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_access_tokens_platform_id_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_tokens')),
    sa.UniqueConstraint('platform_id', 'scopes', name=op.f('uq_access_tokens_platform_id_scopes'))
    )
    op.create_table('activity_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.String(length=64), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('dates', sa.JSON(), nullable=False),
    sa.Column('place', sa.String(length=255), nullable=False),
    sa.Column('format', sa.String(length=64), nullable=True),
    sa.Column('provider', sa.String(length=64), nullable=True),
    sa.Column('time', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_activity_sessions_activity_id_activities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_sessions')),
    sa.UniqueConstraint('activity_id', 'starts_on', 'place', name=op.f('uq_activity_sessions_activity_id_starts_on_place'))
    )
    with op.batch_alter_table('activity_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_sessions_starts_on'), ['starts_on'], unique=False)

    op.create_table('cares_item_updates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=64), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('evidence_url', sa.String(length=2048), nullable=True),
    sa.Column('reviewer', sa.String(length=255), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recorded_by', sa.String(length=255), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("state IN ('not_started', 'in_progress', 'implemented')", name=op.f('ck_cares_item_updates_state')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_cares_item_updates_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cares_item_updates'))
    )
    with op.batch_alter_table('cares_item_updates', schema=None) as batch_op:
        batch_op.create_index('ix_cares_item_updates_item', ['municipality_id', 'item_id'], unique=False)

    op.create_table('deployments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('activated_at', sa.DateTime(), nullable=True),
    sa.Column('activated_by', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_deployments_platform_id_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deployments')),
    sa.UniqueConstraint('platform_id', 'deployment_id', name=op.f('uq_deployments_platform_id_deployment_id'))
    )
    op.create_table('launch_states',
    sa.Column('state', sa.String(length=128), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.String(length=128), nullable=False),
    sa.Column('browser_binding', sa.String(length=128), nullable=False),
    sa.Column('target_link_uri', sa.String(length=2048), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_launch_states_platform_id_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('state', name=op.f('pk_launch_states'))
    )
    with op.batch_alter_table('launch_states', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_launch_states_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index('ix_launch_states_platform', ['platform_id'], unique=False)

    op.create_table('officials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('sub', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('given_name', sa.String(length=255), nullable=True),
    sa.Column('family_name', sa.String(length=255), nullable=True),
    sa.Column('email', sa.String(length=255), nullable=True),
    sa.Column('municipality_id', sa.Integer(), nullable=True),
    sa.Column('is_tool_admin', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_officials_municipality_id_municipalities'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_officials_platform_id_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_officials')),
    sa.UniqueConstraint('platform_id', 'sub', name=op.f('uq_officials_platform_id_sub'))
    )
    op.create_table('outbox_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=255), nullable=True),
    sa.Column('state', sa.String(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('give_up_at', sa.DateTime(), nullable=True),
    sa.Column('claimed_by', sa.String(length=255), nullable=True),
    sa.Column('claimed_until', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("state IN ('pending', 'running', 'done', 'dead')", name=op.f('ck_outbox_jobs_state')),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_outbox_jobs_platform_id_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_jobs')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_jobs_dedupe_key'))
    )
    with op.batch_alter_table('outbox_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_jobs_due', ['state', 'next_attempt_at'], unique=False)

    op.create_table('used_nonces',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.String(length=255), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_used_nonces_platform_id_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_used_nonces')),
    sa.UniqueConstraint('platform_id', 'nonce', name=op.f('uq_used_nonces_platform_id_nonce'))
    )
    with op.batch_alter_table('used_nonces', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_used_nonces_expires_at'), ['expires_at'], unique=False)

    op.create_table('contexts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.Integer(), nullable=False),
    sa.Column('lti_context_id', sa.String(length=255), nullable=False),
    sa.Column('label', sa.String(length=255), nullable=True),
    sa.Column('title', sa.String(length=255), nullable=True),
    sa.Column('memberships_url', sa.String(length=2048), nullable=True),
    sa.Column('lineitems_url', sa.String(length=2048), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['deployment_id'], ['deployments.id'], name=op.f('fk_contexts_deployment_id_deployments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_contexts_platform_id_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contexts')),
    sa.UniqueConstraint('platform_id', 'lti_context_id', name=op.f('uq_contexts_platform_id_lti_context_id'))
    )
    op.create_table('enrollments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('official_id', sa.Integer(), nullable=False),
    sa.Column('program', sa.String(length=64), nullable=False),
    sa.Column('edition_id', sa.String(length=64), nullable=False),
    sa.Column('enrolled_on', sa.Date(), nullable=False),
    sa.Column('membership_since', sa.Date(), nullable=True),
    sa.Column('migrated_from_id', sa.Integer(), nullable=True),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('ended_reason', sa.Text(), nullable=True),
    sa.Column('recorded_by', sa.String(length=255), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['migrated_from_id'], ['enrollments.id'], name=op.f('fk_enrollments_migrated_from_id_enrollments')),
    sa.ForeignKeyConstraint(['official_id'], ['officials.id'], name=op.f('fk_enrollments_official_id_officials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrollments')),
    sa.UniqueConstraint('official_id', 'edition_id', 'enrolled_on', name=op.f('uq_enrollments_official_id_edition_id_enrolled_on'))
    )
    op.create_table('fee_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('official_id', sa.Integer(), nullable=False),
    sa.Column('program', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=64), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('covers_cycle_from', sa.Date(), nullable=True),
    sa.Column('reference', sa.String(length=255), nullable=True),
    sa.Column('refunds_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by', sa.String(length=255), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("purpose IN ('enrollment', 'continuing_education')", name=op.f('ck_fee_payments_purpose')),
    sa.ForeignKeyConstraint(['official_id'], ['officials.id'], name=op.f('fk_fee_payments_official_id_officials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['refunds_id'], ['fee_payments.id'], name=op.f('fk_fee_payments_refunds_id_fee_payments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_payments'))
    )
    op.create_table('certifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('official_id', sa.Integer(), nullable=False),
    sa.Column('enrollment_id', sa.Integer(), nullable=False),
    sa.Column('program', sa.String(length=64), nullable=False),
    sa.Column('edition_id', sa.String(length=64), nullable=False),
    sa.Column('certified_on', sa.Date(), nullable=False),
    sa.Column('completion_ids', sa.JSON(), nullable=False),
    sa.Column('recorded_by', sa.String(length=255), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['enrollment_id'], ['enrollments.id'], name=op.f('fk_certifications_enrollment_id_enrollments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['official_id'], ['officials.id'], name=op.f('fk_certifications_official_id_officials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certifications')),
    sa.UniqueConstraint('enrollment_id', 'certified_on', name=op.f('uq_certifications_enrollment_id_certified_on'))
    )
    op.create_table('resource_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('context_id', sa.Integer(), nullable=False),
    sa.Column('lti_resource_link_id', sa.String(length=255), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=True),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('activity_id', sa.String(length=64), nullable=True),
    sa.Column('lineitem_url', sa.String(length=2048), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_resource_links_activity_id_activities'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['context_id'], ['contexts.id'], name=op.f('fk_resource_links_context_id_contexts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resource_links')),
    sa.UniqueConstraint('context_id', 'lti_resource_link_id', name=op.f('uq_resource_links_context_id_lti_resource_link_id'))
    )
    op.create_table('certification_status_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('certification_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=64), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.String(length=255), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('active', 'lapsed', 'revoked')", name=op.f('ck_certification_status_changes_status')),
    sa.ForeignKeyConstraint(['certification_id'], ['certifications.id'], name=op.f('fk_certification_status_changes_certification_id_certifications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certification_status_changes'))
    )
    with op.batch_alter_table('certification_status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certification_status_changes_certification_id'), ['certification_id'], unique=False)

    op.create_table('completions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('official_id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('corrects_id', sa.Integer(), nullable=True),
    sa.Column('completed_on', sa.Date(), nullable=False),
    sa.Column('hours', sa.Integer(), nullable=False),
    sa.Column('areas', sa.JSON(), nullable=True),
    sa.Column('format', sa.String(length=64), nullable=True),
    sa.Column('provider', sa.String(length=64), nullable=True),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('source_key', sa.String(length=255), nullable=False),
    sa.Column('resource_link_id', sa.Integer(), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('recorded_by', sa.String(length=255), nullable=False),
    sa.Column('recorded_from', sa.String(length=255), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind = 'record' OR corrects_id IS NOT NULL", name=op.f('ck_completions_correction_target')),
    sa.CheckConstraint("kind IN ('record', 'reversal', 'amendment', 'approval')", name=op.f('ck_completions_kind')),
    sa.CheckConstraint("source IN ('instructor', 'lms_grade', 'import', 'admin', 'self_report')", name=op.f('ck_completions_source')),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_completions_activity_id_activities')),
    sa.ForeignKeyConstraint(['corrects_id'], ['completions.id'], name=op.f('fk_completions_corrects_id_completions')),
    sa.ForeignKeyConstraint(['official_id'], ['officials.id'], name=op.f('fk_completions_official_id_officials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resource_link_id'], ['resource_links.id'], name=op.f('fk_completions_resource_link_id_resource_links'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_completions')),
    sa.UniqueConstraint('source_key', name=op.f('uq_completions_source_key'))
    )
    with op.batch_alter_table('completions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_completions_corrects_id'), ['corrects_id'], unique=False)
        batch_op.create_index('ix_completions_official_date', ['official_id', 'completed_on'], unique=False)

    op.create_table('continuing_education_cycles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('certification_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('outcome', sa.String(length=64), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('completion_ids', sa.JSON(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("outcome IN ('met', 'lapsed')", name=op.f('ck_continuing_education_cycles_outcome')),
    sa.ForeignKeyConstraint(['certification_id'], ['certifications.id'], name=op.f('fk_continuing_education_cycles_certification_id_certifications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_continuing_education_cycles')),
    sa.UniqueConstraint('certification_id', 'starts_on', name=op.f('uq_continuing_education_cycles_certification_id_starts_on'))
    )
    op.create_table('credentials',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('event_key', sa.String(length=255), nullable=False),
    sa.Column('achievement_id', sa.String(length=128), nullable=False),
    sa.Column('issuer_id', sa.String(length=64), nullable=False),
    sa.Column('official_id', sa.Integer(), nullable=True),
    sa.Column('municipality_id', sa.Integer(), nullable=True),
    sa.Column('certification_id', sa.Integer(), nullable=True),
    sa.Column('recipient_identity', sa.String(length=255), nullable=False),
    sa.Column('recipient_salt', sa.String(length=64), nullable=False),
    sa.Column('recipient_hashed', sa.Boolean(), nullable=False),
    sa.Column('status_index', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.DateTime(), nullable=False),
    sa.Column('valid_until', sa.DateTime(), nullable=True),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('jwt', sa.Text(), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('replaces_id', sa.String(length=64), nullable=True),
    sa.Column('image_url', sa.String(length=2048), nullable=True),
    sa.ForeignKeyConstraint(['certification_id'], ['certifications.id'], name=op.f('fk_credentials_certification_id_certifications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_credentials_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['official_id'], ['officials.id'], name=op.f('fk_credentials_official_id_officials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['replaces_id'], ['credentials.id'], name=op.f('fk_credentials_replaces_id_credentials')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credentials')),
    sa.UniqueConstraint('event_key', name=op.f('uq_credentials_event_key')),
    sa.UniqueConstraint('status_index', name=op.f('uq_credentials_status_index'))
    )
    op.create_table('launches',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.Integer(), nullable=False),
    sa.Column('official_id', sa.Integer(), nullable=True),
    sa.Column('context_id', sa.Integer(), nullable=True),
    sa.Column('resource_link_id', sa.Integer(), nullable=True),
    sa.Column('message_type', sa.String(length=64), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('claims', sa.JSON(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['context_id'], ['contexts.id'], name=op.f('fk_launches_context_id_contexts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['deployment_id'], ['deployments.id'], name=op.f('fk_launches_deployment_id_deployments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['official_id'], ['officials.id'], name=op.f('fk_launches_official_id_officials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['platform_id'], ['platforms.id'], name=op.f('fk_launches_platform_id_platforms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resource_link_id'], ['resource_links.id'], name=op.f('fk_launches_resource_link_id_resource_links'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_launches'))
    )
    with op.batch_alter_table('launches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_launches_expires_at'), ['expires_at'], unique=False)

    op.create_table('line_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('context_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2048), nullable=False),
    sa.Column('label', sa.String(length=255), nullable=False),
    sa.Column('score_maximum', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=255), nullable=True),
    sa.Column('resource_id', sa.String(length=255), nullable=True),
    sa.Column('resource_link_id', sa.Integer(), nullable=True),
    sa.Column('activity_id', sa.String(length=64), nullable=True),
    sa.Column('edition_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_line_items_activity_id_activities'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['context_id'], ['contexts.id'], name=op.f('fk_line_items_context_id_contexts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resource_link_id'], ['resource_links.id'], name=op.f('fk_line_items_resource_link_id_resource_links'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_line_items')),
    sa.UniqueConstraint('context_id', 'url', name=op.f('uq_line_items_context_id_url'))
    )
    op.create_table('credential_status_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.String(length=255), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.CheckConstraint("purpose IN ('revocation', 'suspension')", name=op.f('ck_credential_status_changes_purpose')),
    sa.ForeignKeyConstraint(['credential_id'], ['credentials.id'], name=op.f('fk_credential_status_changes_credential_id_credentials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credential_status_changes'))
    )
    with op.batch_alter_table('credential_status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credential_status_changes_credential_id'), ['credential_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('credential_status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credential_status_changes_credential_id'))

    op.drop_table('credential_status_changes')
    op.drop_table('line_items')
    with op.batch_alter_table('launches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_launches_expires_at'))

    op.drop_table('launches')
    op.drop_table('credentials')
    op.drop_table('continuing_education_cycles')
    with op.batch_alter_table('completions', schema=None) as batch_op:
        batch_op.drop_index('ix_completions_official_date')
        batch_op.drop_index(batch_op.f('ix_completions_corrects_id'))

    op.drop_table('completions')
    with op.batch_alter_table('certification_status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certification_status_changes_certification_id'))

    op.drop_table('certification_status_changes')
    op.drop_table('resource_links')
    op.drop_table('certifications')
    op.drop_table('fee_payments')
    op.drop_table('enrollments')
    op.drop_table('contexts')
    with op.batch_alter_table('used_nonces', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_used_nonces_expires_at'))

    op.drop_table('used_nonces')
    with op.batch_alter_table('outbox_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_jobs_due')

    op.drop_table('outbox_jobs')
    op.drop_table('officials')
    with op.batch_alter_table('launch_states', schema=None) as batch_op:
        batch_op.drop_index('ix_launch_states_platform')
        batch_op.drop_index(batch_op.f('ix_launch_states_expires_at'))

    op.drop_table('launch_states')
    op.drop_table('deployments')
    with op.batch_alter_table('cares_item_updates', schema=None) as batch_op:
        batch_op.drop_index('ix_cares_item_updates_item')

    op.drop_table('cares_item_updates')
    with op.batch_alter_table('activity_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_sessions_starts_on'))

    op.drop_table('activity_sessions')
    op.drop_table('access_tokens')
    op.drop_table('tool_keys')
    op.drop_table('settings')
    op.drop_table('platforms')
    op.drop_table('municipalities')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_subject')
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')
    op.drop_table('activities')
