"""One way to the data: services and the console reach the store only through the unit of work's repositories.

Walks the syntax trees of every module under ``services/`` and ``console/`` (import-linter's contracts check
the imports between packages; this also catches SQL run on a connection the module was handed) and fails
on each:

- an import of SQLAlchemy (``import sqlalchemy``, ``from sqlalchemy... import``);
- an import of the store's tables (``omnialloc.store.tables`` and its modules);
- a statement run on a connection (``<anything>.conn.execute(...)``, ``.exec_driver_sql``, ...);
- a unit of work's connection taken at all (``uow.conn``): a repository made on it is a second way in.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "omnialloc"
LAYERS = ("services", "console")
RUNS_SQL = {"execute", "exec_driver_sql", "scalar", "scalars", "begin_nested"}


def _modules() -> list[Path]:
    return sorted(p for layer in LAYERS for p in (SRC / layer).rglob("*.py"))


def _is_tables(module: str) -> bool:
    return module == "omnialloc.store.tables" or module.startswith("omnialloc.store.tables.")


def violations(source: str, name: str = "<module>") -> list[str]:
    """What in ``source`` reaches the data another way than the repositories, as ``name:line: what``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        where = f"{name}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "sqlalchemy" or alias.name.startswith("sqlalchemy."):
                    found.append(f"{where}: imports {alias.name}")
                elif _is_tables(alias.name):
                    found.append(f"{where}: imports {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "sqlalchemy" or node.module.startswith("sqlalchemy."):
                found.append(f"{where}: imports from {node.module}")
            elif _is_tables(node.module):
                found.append(f"{where}: imports from {node.module}")
            elif node.module == "omnialloc.store" and any(
                    a.name == "tables" for a in node.names):
                found.append(f"{where}: imports the store's tables")
        elif isinstance(node, ast.Attribute):
            if node.attr in RUNS_SQL and isinstance(node.value, ast.Attribute) and node.value.attr == "conn":
                found.append(f"{where}: runs SQL on a connection (.conn.{node.attr})")
            elif node.attr == "conn" and isinstance(node.value, ast.Name) and node.value.id == "uow":
                found.append(f"{where}: takes the unit of work's connection (uow.conn)")
    return found


def test_the_layers_exist():
    assert len(_modules()) > 10, f"no modules found under {SRC}/{{{','.join(LAYERS)}}}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_services_and_console_reach_the_store_only_through_repositories(path: Path):
    assert violations(path.read_text(), str(path.relative_to(SRC))) == []


@pytest.mark.parametrize("source", [
    "import sqlalchemy as sa",
    "from sqlalchemy.exc import IntegrityError",
    "from omnialloc.store.tables import orders",
    "from omnialloc.store.tables.returns import returns",
    "from omnialloc.store import tables",
    "def f(uow):\n    return uow.conn.execute(q).all()",
    "def f(self):\n    self.conn.exec_driver_sql('SELECT 1')",
    "def f(uow):\n    return Repo(uow.conn).get(1)",
])
def test_each_other_way_in_is_caught(source: str):
    assert violations(source), source


@pytest.mark.parametrize("source", [
    "from omnialloc.store.uow import UnitOfWork",
    "from omnialloc.store.errors import WriteRefused",
    "def f(uow):\n    return uow.orders.get('o1')",
    "import threading\n_pinned = threading.local()\n_pinned.conn = None",
])
def test_the_repositories_and_the_unit_of_work_are_allowed(source: str):
    assert violations(source) == []
