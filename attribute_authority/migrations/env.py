"""Alembic environment: runs the migrations against the URL the caller configured."""
from alembic import context
from sqlalchemy import pool

from attribute_authority.db import make_engine
from attribute_authority.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url")
engine = make_engine(url, poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
