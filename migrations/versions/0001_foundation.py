"""Accounts, roles, login attempts, rounds, areas and proposals

Revision ID: 0001
Revises:
Create Date: 2026-11-29 08:56:46.842404

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('address', sa.String(length=45), nullable=False),
    sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('is_success', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempt'))
    )
    op.create_index('ix_login_attempt_address_attempted_at', 'login_attempt', ['address', 'attempted_at'], unique=False)
    op.create_index('ix_login_attempt_email_attempted_at', 'login_attempt', ['email', 'attempted_at'], unique=False)
    op.create_index('ix_login_attempt_attempted_at', 'login_attempt', ['attempted_at'], unique=False)
    op.create_table('round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name_fi', sa.String(length=200), nullable=False),
    sa.Column('name_sv', sa.String(length=200), nullable=True),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('kind', sa.Enum('city', 'youth', name='kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('phase', sa.Enum('proposals', 'screening', 'voting', 'results', 'follow-up', name='phase', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round'))
    )
    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('is_verified', sa.Boolean(), nullable=False),
    sa.Column('year_of_birth', sa.SmallInteger(), nullable=True),
    sa.Column('home_area', sa.String(length=40), nullable=True),
    sa.Column('school', sa.String(length=120), nullable=True),
    sa.Column('grade', sa.SmallInteger(), nullable=True),
    sa.Column('preferred_language', sa.String(length=2), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("preferred_language IS NULL OR preferred_language IN ('fi', 'sv', 'en')", name=op.f('ck_user_account_language')),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_user_account_email_lowercase')),
    sa.CheckConstraint('grade IS NULL OR grade BETWEEN 1 AND 13', name=op.f('ck_user_account_grade')),
    sa.CheckConstraint('year_of_birth IS NULL OR year_of_birth BETWEEN 1900 AND 2100', name=op.f('ck_user_account_year_of_birth')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('email', name=op.f('uq_user_account_email'))
    )
    op.create_table('area',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name_fi', sa.String(length=200), nullable=False),
    sa.Column('name_sv', sa.String(length=200), nullable=True),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('budget', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('budget >= 0', name=op.f('ck_area_budget_not_negative')),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_area_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_area')),
    sa.UniqueConstraint('id', 'round_id', name=op.f('uq_area_id_round_id')),
    sa.UniqueConstraint('round_id', 'code', name=op.f('uq_area_round_id_code'))
    )
    op.create_index(op.f('ix_area_round_id'), 'area', ['round_id'], unique=False)
    op.create_table('role_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('resident', 'moderator', 'administrator', 'auditor', name='role', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['granted_by_id'], ['user_account.id'], name=op.f('fk_role_assignment_granted_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_role_assignment_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_assignment')),
    sa.UniqueConstraint('user_id', 'role', name=op.f('uq_role_assignment_user_id_role'))
    )
    op.create_index(op.f('ix_role_assignment_user_id'), 'role_assignment', ['user_id'], unique=False)
    op.create_table('proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('title_fi', sa.String(length=200), nullable=True),
    sa.Column('title_sv', sa.String(length=200), nullable=True),
    sa.Column('title_en', sa.String(length=200), nullable=True),
    sa.Column('description_fi', sa.Text(), nullable=True),
    sa.Column('description_sv', sa.Text(), nullable=True),
    sa.Column('description_en', sa.Text(), nullable=True),
    sa.Column('cost', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.Enum('submitted', 'accepted', 'rejected', 'merged', name='status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('cost IS NULL OR cost >= 0', name=op.f('ck_proposal_cost_not_negative')),
    sa.CheckConstraint('description_fi IS NOT NULL OR description_sv IS NOT NULL OR description_en IS NOT NULL', name=op.f('ck_proposal_description_given')),
    sa.CheckConstraint('title_fi IS NOT NULL OR title_sv IS NOT NULL OR title_en IS NOT NULL', name=op.f('ck_proposal_title_given')),
    sa.ForeignKeyConstraint(['area_id', 'round_id'], ['area.id', 'area.round_id'], name=op.f('fk_proposal_area_id_round_id_area'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_proposal_author_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_proposal_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal'))
    )
    op.create_index(op.f('ix_proposal_area_id'), 'proposal', ['area_id'], unique=False)
    op.create_index(op.f('ix_proposal_author_id'), 'proposal', ['author_id'], unique=False)
    op.create_index(op.f('ix_proposal_round_id'), 'proposal', ['round_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_proposal_round_id'), table_name='proposal')
    op.drop_index(op.f('ix_proposal_author_id'), table_name='proposal')
    op.drop_index(op.f('ix_proposal_area_id'), table_name='proposal')
    op.drop_table('proposal')
    op.drop_index(op.f('ix_role_assignment_user_id'), table_name='role_assignment')
    op.drop_table('role_assignment')
    op.drop_index(op.f('ix_area_round_id'), table_name='area')
    op.drop_table('area')
    op.drop_table('user_account')
    op.drop_table('round')
    op.drop_index('ix_login_attempt_attempted_at', table_name='login_attempt')
    op.drop_index('ix_login_attempt_email_attempted_at', table_name='login_attempt')
    op.drop_index('ix_login_attempt_address_attempted_at', table_name='login_attempt')
    op.drop_table('login_attempt')
