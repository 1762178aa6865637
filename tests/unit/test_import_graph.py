"""The shape of src/omnialloc's own imports, read from the source (AST) without importing it.

* No cycle between modules, counting every import: the ones at the top of a module and the ones inside
  functions (an import moved into a function to dodge a cycle still is one). A module importing a name
  of a package counts as importing the package's ``__init__``; ``from package import module`` as
  importing that module.
* No private name taken across modules: ``from omnialloc.x import _helper`` (or ``x._helper`` on an
  imported module of ours) reaches into another module's internals; a helper two modules need is public
  in the module that owns it, or lives where both can import it. A private module (``_base``) may only
  be imported inside its own package.
* The services import their dependencies at the top: a function-level import there is allowed only for a
  heavy optional dependency, on a line that says why (a comment).

The layers themselves (api / cli / console -> services -> adapters -> domain) are import-linter's
contracts in ``.importlinter``, run by ``make lint``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
ROOT = "omnialloc"

#: Third-party modules a service may import inside a function (heavy, needed by one command only); the
#: import's line must still carry a comment saying why.
LAZY_ALLOWED = ("matplotlib", "pandas", "dask", "distributed")


@dataclass(frozen=True)
class Import:
    importer: str      # module name
    target: str        # module name imported (ours), or the third-party module
    names: tuple[str, ...]
    line: int
    in_function: bool
    path: Path


def _modules() -> dict[str, tuple[Path, bool]]:
    out = {}
    for path in (SRC / ROOT).rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        out[".".join(parts)] = (path, is_package)
    return out


MODULES = _modules()


def _own(target: str) -> str | None:
    """The module of ours ``target`` names (a module, or an attribute of one), or None if not ours."""
    if target != ROOT and not target.startswith(ROOT + "."):
        return None
    while target not in MODULES and "." in target:
        target = target.rpartition(".")[0]
    return target if target in MODULES else None


def _imports(module: str) -> list[Import]:
    path, is_package = MODULES[module]
    tree = ast.parse(path.read_text(), str(path))
    package = module if is_package else module.rpartition(".")[0]
    in_function: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            in_function.update(id(n) for n in ast.walk(node) if n is not node)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(module, alias.name, (), node.lineno, id(node) in in_function, path))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                # ``from package import module`` imports that module; ``from module import name`` the module
                sub = f"{source}.{alias.name}"
                target = sub if sub in MODULES else source
                found.append(Import(module, target, (alias.name,), node.lineno, id(node) in in_function, path))
    return found


IMPORTS = {module: _imports(module) for module in MODULES}


def _graph() -> dict[str, dict[str, Import]]:
    graph: dict[str, dict[str, Import]] = {m: {} for m in MODULES}
    for module, imports in IMPORTS.items():
        for imp in imports:
            target = _own(imp.target)
            if target is not None and target != module:
                graph[module].setdefault(target, imp)
    return graph


def _cycles(graph: dict[str, dict[str, Import]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def _path_in(component: list[str], graph: dict[str, dict[str, Import]]) -> list[str]:
    """One cycle through the component's first module, as 'a -> b (file:line)' steps."""
    members = set(component)
    start = component[0]
    # breadth-first back to start
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt_frontier = []
        for node in frontier:
            for target in sorted(graph[node]):
                if target not in members:
                    continue
                if target == start:
                    steps, at = [], node
                    chain = [node]
                    while at != start:
                        at = previous[at]
                        chain.append(at)
                    chain.reverse()
                    chain.append(start)
                    for a, b in zip(chain, chain[1:]):
                        imp = graph[a][b]
                        where = "in a function" if imp.in_function else "at the top"
                        steps.append(f"{a} -> {b} ({imp.path.relative_to(SRC)}:{imp.line}, {where})")
                    return steps
                if target not in previous and target != start:
                    previous[target] = node
                    nxt_frontier.append(target)
        frontier = nxt_frontier
    return component


def test_the_graph_sees_imports_at_the_top_and_in_functions():
    """A check of the walker on a module known to do both (so an empty result is not a blind spot)."""
    graph = _graph()
    events = "omnialloc.services.events"
    assert "omnialloc.services.bus" in graph[events]
    assert any(imp.in_function for imports in IMPORTS.values() for imp in imports)
    assert _cycles({"a": {"b": None}, "b": {"c": None}, "c": {"a": None}, "d": {"a": None}}) == [["a", "b", "c"]]


def test_no_import_cycles_between_modules():
    graph = _graph()
    cycles = _cycles(graph)
    report = ["\n  ".join([f"{len(c)} modules: {', '.join(c)}"] + _path_in(c, graph)) for c in cycles]
    assert not cycles, "import cycles (module-level and function-level imports count):\n" + "\n".join(report)


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _private_module_outside_its_package(importer: str, target: str) -> bool:
    parts = target.split(".")
    for i, part in enumerate(parts):
        if _private(part):
            owner = ".".join(parts[:i])  # the package the private module belongs to
            if not (importer == owner or importer.startswith(owner + ".")):
                return True
    return False


def test_no_private_name_is_taken_from_another_module():
    taken = []
    for module, (path, _) in MODULES.items():
        where = path.relative_to(SRC)
        modules_bound: dict[str, str] = {}  # local name -> module of ours it is bound to
        for imp in IMPORTS[module]:
            target = _own(imp.target)
            if target is None:
                continue
            if _private_module_outside_its_package(module, target):
                taken.append(f"{where}:{imp.line}: private module {target}")
            if not imp.names:  # import omnialloc.x.y: binds "omnialloc"
                continue
            (name,) = imp.names
            if imp.target in MODULES and imp.target.endswith("." + name):  # from package import module
                modules_bound[name] = imp.target
            elif _private(name):
                taken.append(f"{where}:{imp.line}: {name} from {target}")
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):  # "from package import module as alias" binds the alias
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    if alias.asname and sub in MODULES:
                        modules_bound[alias.asname] = sub
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname and alias.name in MODULES:
                        modules_bound[alias.asname] = alias.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and _private(node.attr) and isinstance(node.value, ast.Name)
                    and modules_bound.get(node.value.id, module) != module):
                taken.append(f"{where}:{node.lineno}: {node.value.id}.{node.attr} of {modules_bound[node.value.id]}")
    assert not taken, "private names taken from another module (make them public where they belong):\n" + \
        "\n".join(sorted(set(taken)))


def test_services_import_at_the_top():
    lazy = []
    for module, imports in IMPORTS.items():
        if not module.startswith(f"{ROOT}.services"):
            continue
        lines = MODULES[module][0].read_text().splitlines()
        for imp in imports:
            if not imp.in_function:
                continue
            commented = "#" in lines[imp.line - 1] or lines[imp.line - 2].strip().startswith("#")
            if _own(imp.target) is not None or not imp.target.startswith(LAZY_ALLOWED) or not commented:
                lazy.append(f"{imp.path.relative_to(SRC)}:{imp.line}: {imp.target}")
    assert not lazy, ("imports inside functions in services/ (at the top instead; only a heavy optional "
                      "dependency may wait, with a comment saying why):\n" + "\n".join(lazy))
