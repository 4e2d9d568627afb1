"""guest_link: guests' personal links as rows (hashed, purpose, expiry, revocation); attendee.session_version

Revision ID: 0012b
Revises: 0012a
Create Date: 2026-12-01

Each guest's current token hash becomes one live "personal" link that expires 30 days after the
gathering ends (or after this migration, if later), so the links guests hold keep working.
`session_version` starts as the first 16 characters of the old hash, which open sessions and
one-click follow-up links already carry, so nobody is signed out. `link_requested_at` takes
over `token_rotated_at`. `print_notes` ("include my notes in the printed copy") starts off.

Stored email bodies are scrubbed of personal and one-click links (`/g/<token>`,
`/followup/go/<token>`): from now on emails carry them only in the copy that is sent.

The downgrade gives each guest back one token hash (their newest live link's, else a random one)
and drops every other link.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

revision = '0012b'
down_revision = '0012a'
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
BATCH = 500
DAYS_AFTER = 30
SECRET_LINK = re.compile(r"(/g/|/followup/go/)[A-Za-z0-9._~%-]{16,}")
REMOVED = r"\1[link-removed]"

attendee = sa.table('attendee', sa.column('id', sa.Integer), sa.column('event_id', sa.Integer),
                    sa.column('token_hash', sa.String), sa.column('token_rotated_at', TS),
                    sa.column('session_version', sa.String), sa.column('link_requested_at', TS))
event = sa.table('event', sa.column('id', sa.Integer), sa.column('ends_at', TS))
guest_link = sa.table('guest_link', sa.column('id', sa.Integer), sa.column('attendee_id', sa.Integer),
                      sa.column('token_hash', sa.String), sa.column('purpose', sa.String),
                      sa.column('created_at', TS), sa.column('expires_at', TS), sa.column('revoked_at', TS))
outbound_email = sa.table('outbound_email', sa.column('id', sa.Integer), sa.column('body_text', sa.Text),
                          sa.column('body_html', sa.Text))


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def _stored(value: datetime, sqlite: bool) -> datetime:
    """As UTCDateTime stores it: naive UTC on SQLite, aware on PostgreSQL."""
    value = value.astimezone(timezone.utc)
    return value.replace(tzinfo=None) if sqlite else value


def _batches(conn, query, key):
    """Rows of `query` BATCH at a time, by increasing `key` (keyset pagination)."""
    last = 0
    while True:
        rows = conn.execute(query.where(key > last).order_by(key).limit(BATCH)).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def _links_from_tokens(conn, sqlite: bool) -> None:
    now = datetime.now(timezone.utc)
    query = (sa.select(attendee.c.id, attendee.c.token_hash, attendee.c.token_rotated_at, event.c.ends_at)
             .join(event, event.c.id == attendee.c.event_id))
    set_version = (sa.update(attendee).where(attendee.c.id == sa.bindparam('row_id'))
                   .values(session_version=sa.bindparam('version'), link_requested_at=sa.bindparam('requested')))
    for rows in _batches(conn, query, attendee.c.id):
        conn.execute(set_version, [{'row_id': r.id, 'version': r.token_hash[:16], 'requested': r.token_rotated_at}
                                   for r in rows])
        conn.execute(sa.insert(guest_link), [{
            'attendee_id': r.id, 'token_hash': r.token_hash, 'purpose': 'personal',
            'created_at': r.token_rotated_at,
            'expires_at': _stored(max(_aware(r.ends_at), now) + timedelta(days=DAYS_AFTER), sqlite),
            'revoked_at': None,
        } for r in rows])


def _scrub_bodies(conn) -> None:
    query = sa.select(outbound_email.c.id, outbound_email.c.body_text, outbound_email.c.body_html)
    scrub = (sa.update(outbound_email).where(outbound_email.c.id == sa.bindparam('row_id'))
             .values(body_text=sa.bindparam('text'), body_html=sa.bindparam('html')))
    for rows in _batches(conn, query, outbound_email.c.id):
        changed = [{'row_id': r.id, 'text': SECRET_LINK.sub(REMOVED, r.body_text or ''),
                    'html': SECRET_LINK.sub(REMOVED, r.body_html or '')} for r in rows]
        changed = [c for c, r in zip(changed, rows) if (c['text'], c['html']) != (r.body_text, r.body_html)]
        if changed:
            conn.execute(scrub, changed)


def upgrade():
    conn = op.get_bind()
    sqlite = conn.dialect.name == 'sqlite'
    op.create_table(
        'guest_link',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('attendee_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('purpose', sa.String(length=40), nullable=False),
        sa.Column('created_at', TS, nullable=False),
        sa.Column('expires_at', TS, nullable=False),
        sa.Column('revoked_at', TS, nullable=True),
        sa.ForeignKeyConstraint(['attendee_id'], ['attendee.id'], name=op.f('fk_guest_link_attendee_id_attendee'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_guest_link')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_guest_link_token_hash')),
    )
    with op.batch_alter_table('guest_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_guest_link_attendee_id'), ['attendee_id'], unique=False)
    with op.batch_alter_table('attendee', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('link_requested_at', TS, nullable=True))
        batch_op.add_column(sa.Column('print_notes', sa.Boolean(), nullable=False, server_default=sa.false()))
    _links_from_tokens(conn, sqlite)
    _scrub_bodies(conn)
    with op.batch_alter_table('attendee', schema=None) as batch_op:
        batch_op.alter_column('session_version', existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column('link_requested_at', existing_type=TS, nullable=False)
        batch_op.alter_column('print_notes', existing_type=sa.Boolean(), server_default=None)
        batch_op.drop_constraint('uq_attendee_token_hash', type_='unique')
        batch_op.drop_column('token_hash')
        batch_op.drop_column('token_rotated_at')


def _tokens_from_links(conn) -> None:
    newest = (sa.select(guest_link.c.token_hash).where(
        guest_link.c.attendee_id == attendee.c.id, guest_link.c.purpose == 'personal',
        guest_link.c.revoked_at.is_(None)).order_by(guest_link.c.created_at.desc(), guest_link.c.id.desc())
        .limit(1).scalar_subquery())
    query = sa.select(attendee.c.id, attendee.c.link_requested_at, newest.label('token_hash'))
    restore = (sa.update(attendee).where(attendee.c.id == sa.bindparam('row_id'))
               .values(token_hash=sa.bindparam('hash'), token_rotated_at=sa.bindparam('rotated')))
    for rows in _batches(conn, query, attendee.c.id):
        conn.execute(restore, [{
            'row_id': r.id, 'rotated': r.link_requested_at,
            'hash': r.token_hash or hashlib.sha256(secrets.token_urlsafe(24).encode()).hexdigest(),
        } for r in rows])


def downgrade():
    conn = op.get_bind()
    with op.batch_alter_table('attendee', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('token_rotated_at', TS, nullable=True))
    _tokens_from_links(conn)
    with op.batch_alter_table('attendee', schema=None) as batch_op:
        batch_op.alter_column('token_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('token_rotated_at', existing_type=TS, nullable=False)
        batch_op.create_unique_constraint('uq_attendee_token_hash', ['token_hash'])
        batch_op.drop_column('print_notes')
        batch_op.drop_column('link_requested_at')
        batch_op.drop_column('session_version')
    with op.batch_alter_table('guest_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_guest_link_attendee_id'))
    op.drop_table('guest_link')
