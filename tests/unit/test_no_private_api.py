"""src/ uses only the public API of its dependencies: no private module imported, no ``_name`` taken from them.

Read from the source (AST), without importing it. A private name is one with a single leading underscore
(``__dunder__`` names are protocol, not private). What is flagged:

* an import of a private module or name of another package: ``import psycopg._queries``,
  ``from psycopg import _queries``, ``from sqlalchemy.sql._x import y``, ``importlib.import_module("a._b")``;
* ``name._attr`` where ``name`` is bound by an import of another package (``sa._x``, ``Connection._y``);
* ``anything._attr`` (and ``getattr(x, "_attr")``) whose name src/omnialloc never defines itself (as a
  function, class, assignment target, ``self._attr = ...``, slot, parameter or field): such an attribute can
  only come from a library object (``conn._has_events``, ``stmt._values``, ``node._right``).

The standard library's own modules are not dependencies here (``sys._getframe``, ``os._exit`` are documented);
what a library documents as public despite the underscore is listed in ``DOCUMENTED_PUBLIC`` with where.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
OWN = "omnialloc"

#: Underscored names that libraries document as their public API (they use the underscore only to stay
#: clear of user-chosen names).
DOCUMENTED_PUBLIC = {
    # collections.namedtuple's API; SQLAlchemy's Row follows it (https://docs.sqlalchemy.org/en/20/core/
    # connections.html#sqlalchemy.engine.Row): _asdict, _fields, _mapping, _t, _tuple.
    "_asdict", "_fields", "_make", "_replace", "_field_defaults", "_mapping", "_t", "_tuple",
}

#: Known uses outside the store, left to their owners under issue #23 ("no private APIs of any dependency");
#: each line goes when its file is fixed (the test then says so), until the set is empty.
#: (file relative to src/, the private name)
ALLOWED_FOR_NOW: set[tuple[str, str]] = set()


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _third_party(module: str) -> bool:
    top = module.split(".")[0]
    return bool(top) and top != OWN and top not in sys.stdlib_module_names and top != "__future__"


def _files() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def _defined_names(trees: dict[Path, ast.AST]) -> set[str]:
    """Every attribute name src/ itself gives objects: what it may read back as ``x._name``. (A module-level
    ``_name`` does not count: read as ``module._name`` it comes through an import of our own module.)"""
    names: set[str] = set()
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                        names.add(item.name)
                    targets = item.targets if isinstance(item, ast.Assign) else \
                        [item.target] if isinstance(item, ast.AnnAssign) else []
                    names.update(t.id for t in targets if isinstance(t, ast.Name))
                    if isinstance(item, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__slots__"
                                                            for t in item.targets):
                        names.update(str(c.value) for c in ast.walk(item.value) if isinstance(c, ast.Constant))
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, (ast.Store, ast.Del)):
                names.add(node.attr)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr" \
                    and len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
                names.add(str(node.args[1].value))
    return names


def _own_or_stdlib(tree: ast.AST) -> set[str]:
    """Local names bound by imports of omnialloc itself or of the standard library."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update((a.asname or a.name.split(".")[0]) for a in node.names if not _third_party(a.name))
        elif isinstance(node, ast.ImportFrom) and (node.level > 0 or not _third_party(node.module or "")):
            names.update(a.asname or a.name for a in node.names)
    return names


def _imported_from_elsewhere(tree: ast.AST) -> dict[str, str]:
    """Local name -> the other package's module it was imported from (``sa`` -> ``sqlalchemy``)."""
    bound: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if _third_party(a.name):
                    bound[a.asname or a.name.split(".")[0]] = a.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and _third_party(node.module):
            for a in node.names:
                bound[a.asname or a.name] = f"{node.module}.{a.name}"
    return bound


def _violations(path: Path, tree: ast.AST, defined: set[str]) -> list[tuple[int, str, str]]:
    """(line, attribute or module, what) for each private use of another package in one file."""
    found: list[tuple[int, str, str]] = []
    bound, exempt = _imported_from_elsewhere(tree), _own_or_stdlib(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                private = [p for p in a.name.split(".") if _is_private(p)]
                if _third_party(a.name) and private:
                    found.append((node.lineno, private[0], f"import {a.name}"))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and _third_party(node.module):
            parts = [p for p in node.module.split(".") if _is_private(p)]
            parts += [a.name for a in node.names if _is_private(a.name)]
            if parts:
                found.append((node.lineno, parts[0], f"from {node.module} import ..."))
        elif isinstance(node, ast.Call):
            func = node.func
            fname = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0] if node.args else None
            second = node.args[1] if len(node.args) > 1 else None
            if fname in ("import_module", "__import__") and isinstance(first, ast.Constant) \
                    and isinstance(first.value, str) and _third_party(first.value) \
                    and any(_is_private(p) for p in first.value.split(".")):
                found.append((node.lineno, first.value, "import by name"))
            if fname in ("getattr", "hasattr", "setattr", "delattr") and isinstance(second, ast.Constant) \
                    and isinstance(second.value, str) and _is_private(second.value) \
                    and second.value not in DOCUMENTED_PUBLIC and second.value not in defined:
                found.append((node.lineno, second.value, f"{fname}(..., {second.value!r})"))
        elif isinstance(node, ast.Attribute) and _is_private(node.attr) and node.attr not in DOCUMENTED_PUBLIC:
            base = node.value
            if isinstance(base, ast.Name) and base.id in bound:
                found.append((node.lineno, node.attr, f"{base.id}.{node.attr} ({bound[base.id]})"))
            elif node.attr not in defined and not (isinstance(base, ast.Name) and base.id in exempt):
                found.append((node.lineno, node.attr, f"{ast.unparse(node)} (not defined in src/)"))
    return found


def test_src_takes_no_private_name_from_its_dependencies():
    trees = {p: ast.parse(p.read_text(), filename=str(p)) for p in _files()}
    defined = _defined_names(trees)
    report, allowed_seen = [], set()
    for path, tree in trees.items():
        rel = path.relative_to(SRC).as_posix()
        for line, name, what in _violations(path, tree, defined):
            if (rel, name) in ALLOWED_FOR_NOW:
                allowed_seen.add((rel, name))
            else:
                report.append(f"src/{rel}:{line}: {what}")
    assert not report, "private API of a dependency used:\n" + "\n".join(report)
    # An allowance whose use has gone is removed here too (the list only shrinks).
    assert ALLOWED_FOR_NOW <= allowed_seen, f"no longer needed, remove: {sorted(ALLOWED_FOR_NOW - allowed_seen)}"


# ------------------------------------------------------------------ the checker itself, on known snippets


def _check(source: str, defined_elsewhere: str = "") -> list[str]:
    tree = ast.parse(source)
    defined = _defined_names({Path("a.py"): tree, Path("b.py"): ast.parse(defined_elsewhere)})
    return [what for _, _, what in _violations(Path("a.py"), tree, defined)]


def test_the_checker_flags_the_private_uses_this_project_had():
    assert _check("from psycopg import _queries\n_queries.MAX_CACHED_STATEMENT_LENGTH = 1")
    assert _check("import psycopg._queries")
    assert _check("import importlib\nimportlib.import_module('psycopg._queries')")
    assert _check("def f(stmt):\n    return stmt._get_embedded_bindparams()")
    assert _check("def f(conn):\n    return conn._has_events or conn.engine._has_events")
    assert _check("def f(comp):\n    return dict(comp._bind_processors)")
    assert _check("def f(node):\n    return node._right")
    assert _check("import sqlalchemy as sa\nsa._private_helper()")
    assert _check("from sqlalchemy.engine import Connection\nConnection._handle_dbapi_exception")
    assert _check("def f(x):\n    return getattr(x, '_values', None)")
    # a module-level function of our own with the same name does not excuse a library attribute
    assert _check("def f(stmt):\n    return stmt._values", defined_elsewhere="def _values():\n    pass")


def test_the_checker_leaves_own_names_dunders_the_stdlib_and_documented_names_alone():
    assert not _check("class A:\n    def __init__(self):\n        self._n = 1\n    def m(self, other):\n"
                      "        return other._n + self._n")
    assert not _check("def f(m):\n    return m._helper()", defined_elsewhere="class M:\n    def _helper(self):\n"
                                                                              "        pass")
    assert not _check("from omnialloc.store import tables\ntables._values")
    assert not _check("import sys, os\nsys._getframe()\nos._exit")
    assert not _check("def f(row):\n    return dict(row._mapping), row._asdict()")
    assert not _check("import sqlalchemy as sa\nsa.__version__")
    assert not _check("from omnialloc.store import _base\n_base.x")
