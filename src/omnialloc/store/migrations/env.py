"""Alembic environment: our MetaData, batch mode on SQLite only, type comparison on.

Run through ``omnialloc.store.migrate`` (which hands over a connection in
``config.attributes``); offline ``--sql`` mode works with a URL too.
"""

from __future__ import annotations

from alembic import context

from omnialloc.store.tables import load_all
from omnialloc.store.types import UTCDateTime

config = context.config
metadata = load_all()


def render_item(type_, obj, autogen_context):
    # Render our TypeDecorators as the plain SQLAlchemy type they store as,
    # so migration files depend on sqlalchemy only.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**kw) -> None:
    context.configure(
        target_metadata=metadata,
        compare_type=True,
        compare_server_default=False,
        render_item=render_item,
        **kw,
    )


def _url() -> str:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: give alembic one (omnialloc.store.migrate passes the settings')")
    return str(url)


def run_migrations_offline() -> None:
    url = _url()
    _configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"},
               render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from sqlalchemy.pool import NullPool

        from omnialloc.store.engine import create_engine

        url = _url()
        engine = create_engine(url, schema=config.attributes.get("schema"), poolclass=NullPool)
        with engine.connect() as connection:
            _online(connection)
            connection.commit()
        engine.dispose()
    else:
        _online(connection)


def _online(connection) -> None:
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
