"""registration: the public page's settings, the organiser's questions, answers and sign-ups

Revision ID: 0021
Revises: 0014
Create Date: 2026-12-01

New tables only (no rebuild of existing ones); registration_application remembers who came in by
applying and the organiser's decision. A gathering without a registration_settings row
is invite only, as every gathering was before. The new attendee status "applied" needs no change
(status is a plain string column).
"""
import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'registration_settings',
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('mode', sa.String(length=12), nullable=False),
        sa.Column('address_confirmed_only', sa.Boolean(), nullable=False),
        sa.Column('area', sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_registration_settings_event_id_event'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('event_id', name=op.f('pk_registration_settings')),
    )
    op.create_table(
        'registration_question',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('label', sa.String(length=200), nullable=False),
        sa.Column('required', sa.Boolean(), nullable=False),
        sa.Column('options', sa.JSON(), nullable=False),
        sa.Column('profile_target', sa.String(length=20), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_registration_question_event_id_event'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_registration_question')),
    )
    op.create_index(op.f('ix_registration_question_event_id'), 'registration_question', ['event_id'])
    op.create_index('ix_registration_question_event_position', 'registration_question', ['event_id', 'position'])
    op.create_table(
        'registration_answer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('attendee_id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('values', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['attendee_id'], ['attendee.id'], name=op.f('fk_registration_answer_attendee_id_attendee'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['question_id'], ['registration_question.id'],
                                name=op.f('fk_registration_answer_question_id_registration_question'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_registration_answer')),
        sa.UniqueConstraint('attendee_id', 'question_id', name=op.f('uq_registration_answer_attendee_id_question_id')),
    )
    op.create_index(op.f('ix_registration_answer_attendee_id'), 'registration_answer', ['attendee_id'])
    op.create_index(op.f('ix_registration_answer_question_id'), 'registration_answer', ['question_id'])
    op.create_table(
        'registration_signup',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('answers', sa.JSON(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('client_key', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('attendee_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['attendee_id'], ['attendee.id'], name=op.f('fk_registration_signup_attendee_id_attendee'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_registration_signup_event_id_event'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_registration_signup')),
    )
    op.create_index(op.f('ix_registration_signup_event_id'), 'registration_signup', ['event_id'])
    op.create_index(op.f('ix_registration_signup_token_hash'), 'registration_signup', ['token_hash'])
    op.create_index('ix_registration_signup_event_email', 'registration_signup', ['event_id', 'email'])
    op.create_index('ix_registration_signup_client_created', 'registration_signup', ['client_key', 'created_at'])
    op.create_table(
        'registration_application',
        sa.Column('attendee_id', sa.Integer(), nullable=False),
        sa.Column('applied_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decision', sa.String(length=12), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['attendee_id'], ['attendee.id'],
                                name=op.f('fk_registration_application_attendee_id_attendee'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('attendee_id', name=op.f('pk_registration_application')),
    )


def downgrade():
    op.drop_table('registration_application')
    op.drop_table('registration_signup')
    op.drop_table('registration_answer')
    op.drop_table('registration_question')
    op.drop_table('registration_settings')
