"""Persistence: SQLAlchemy Core tables, repositories, a unit of work and Alembic migrations.

* ``tables/``         the schema on one MetaData, one module per feature (``tables/orders.py``, ...)
* ``engine.py``       ``make_engine(url)``: SQLite in WAL with BEGIN IMMEDIATE, pooled PostgreSQL
* ``uow.py``          ``with UnitOfWork(engine) as uow: ...; uow.commit()`` (``readonly=True`` for reads)
* ``repositories/``   one module per aggregate, Core SQL in, domain dataclasses out
* ``reference.py``    bulk idempotent upsert of the network (demo load, imports)
* ``migrate.py``      ``upgrade`` / ``downgrade`` / ``current`` / ``revision`` (autogenerate)

Adding a table or column: edit its feature's module in ``tables/``, then
``.venv/bin/python -m omnialloc.store.migrate revision -m "what changed"``,
review the file in ``migrations/versions/`` (drop new PostgreSQL enum types in
``downgrade``), and run ``pytest tests/integration/store``.
"""
