"""eco glossary: concepts, definitions, terms, approvals, comments; users.country

Revision ID: h4_glossary
Revises: 0004_merge
Create Date: 2026-11-26 07:02:01.253040

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'h4_glossary'
down_revision = '0004_merge'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('glossary_concepts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('subject', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_glossary_concepts_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_glossary_concepts')),
    sa.UniqueConstraint('key', name=op.f('uq_glossary_concepts_key'))
    )
    with op.batch_alter_table('glossary_concepts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_glossary_concepts_subject'), ['subject'], unique=False)

    op.create_table('glossary_approvals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('concept_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['concept_id'], ['glossary_concepts.id'], name=op.f('fk_glossary_approvals_concept_id_glossary_concepts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_glossary_approvals_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_glossary_approvals')),
    sa.UniqueConstraint('concept_id', 'user_id', name=op.f('uq_glossary_approvals_concept_id'))
    )
    op.create_table('glossary_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('concept_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_glossary_comments_author_id_users')),
    sa.ForeignKeyConstraint(['concept_id'], ['glossary_concepts.id'], name=op.f('fk_glossary_comments_concept_id_glossary_concepts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_glossary_comments'))
    )
    with op.batch_alter_table('glossary_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_glossary_comments_concept_id'), ['concept_id'], unique=False)

    op.create_table('glossary_definitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('concept_id', sa.Integer(), nullable=False),
    sa.Column('lang', sa.String(length=2), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('source_title', sa.String(length=240), nullable=False),
    sa.Column('source_ref', sa.String(length=120), nullable=False),
    sa.Column('source_url', sa.String(length=400), nullable=False),
    sa.ForeignKeyConstraint(['concept_id'], ['glossary_concepts.id'], name=op.f('fk_glossary_definitions_concept_id_glossary_concepts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_glossary_definitions')),
    sa.UniqueConstraint('concept_id', 'lang', name=op.f('uq_glossary_definitions_concept_id'))
    )
    op.create_table('glossary_relations',
    sa.Column('concept_id', sa.Integer(), nullable=False),
    sa.Column('related_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['concept_id'], ['glossary_concepts.id'], name=op.f('fk_glossary_relations_concept_id_glossary_concepts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['related_id'], ['glossary_concepts.id'], name=op.f('fk_glossary_relations_related_id_glossary_concepts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('concept_id', 'related_id', name=op.f('pk_glossary_relations'))
    )
    op.create_table('glossary_terms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('concept_id', sa.Integer(), nullable=False),
    sa.Column('lang', sa.String(length=2), nullable=False),
    sa.Column('script', sa.String(length=8), nullable=False),
    sa.Column('text', sa.String(length=200), nullable=False),
    sa.Column('pos', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('context', sa.Text(), nullable=False),
    sa.Column('context_source', sa.String(length=240), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('sort_key', sa.String(length=600), nullable=False),
    sa.Column('search_key', sa.String(length=400), nullable=False),
    sa.ForeignKeyConstraint(['concept_id'], ['glossary_concepts.id'], name=op.f('fk_glossary_terms_concept_id_glossary_concepts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_glossary_terms'))
    )
    with op.batch_alter_table('glossary_terms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_glossary_terms_concept_id'), ['concept_id'], unique=False)
        batch_op.create_index('ix_glossary_terms_lang_sort', ['lang', 'sort_key'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('country', sa.String(length=2), nullable=True))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('country')

    with op.batch_alter_table('glossary_terms', schema=None) as batch_op:
        batch_op.drop_index('ix_glossary_terms_lang_sort')
        batch_op.drop_index(batch_op.f('ix_glossary_terms_concept_id'))

    op.drop_table('glossary_terms')
    op.drop_table('glossary_relations')
    op.drop_table('glossary_definitions')
    with op.batch_alter_table('glossary_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_glossary_comments_concept_id'))

    op.drop_table('glossary_comments')
    op.drop_table('glossary_approvals')
    with op.batch_alter_table('glossary_concepts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_glossary_concepts_subject'))

    op.drop_table('glossary_concepts')
