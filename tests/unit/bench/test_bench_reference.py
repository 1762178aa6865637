"""The solver's independent reference (benchmarks/reference, installed as ``omnialloc.bench.reference``) stays
independent: written from the documented cost model, it takes from omnialloc only the public problem and plan
types of ``omnialloc.solvers`` (read from the source, counting imports inside functions too), never the
solver's internals (``instance``, ``costs``, ``assemble``, ...), ``solve`` itself, or another benchmark."""

from __future__ import annotations

import ast
from pathlib import Path

import omnialloc.solvers

REFERENCE = Path(__file__).resolve().parents[3] / "benchmarks" / "reference"
#: The public names of omnialloc.solvers the reference may use: the problem and plan types.
ALLOWED = set(omnialloc.solvers.__all__) - {"solve", "STRATEGIES", "make_lane"}


def _imports(path: Path) -> list[tuple[int, str, int, list[str]]]:
    """(line, module, relative level, names) of every import in one file."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name, 0, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            out.append((node.lineno, node.module or "", node.level, [a.name for a in node.names]))
    return out


def test_the_reference_imports_only_the_public_problem_and_plan_types_of_omnialloc():
    files = sorted(REFERENCE.glob("*.py"))
    assert {f.name for f in files} >= {"__init__.py", "model.py", "exhaustive.py", "plain_mip.py", "checks.py",
                                       "generator.py"}
    wrong = []
    for f in files:
        for line, module, level, names in _imports(f):
            where = f"{f.name}:{line}"
            if level > 1:
                wrong.append(f"{where}: reaches outside the reference (from {'.' * level}{module})")
            elif module == "omnialloc" or module.startswith(("omnialloc.", "benchmarks")):
                if level == 0 and module == "omnialloc.solvers" and names and set(names) <= ALLOWED:
                    continue
                wrong.append(f"{where}: from {module} import {', '.join(names) or '(module)'}")
    assert not wrong, wrong
