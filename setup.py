"""The one part of the package layout pyproject.toml cannot say: benchmarks/ ships as ``omnialloc.bench``.

Metadata, dependencies and package data are in pyproject.toml. The benchmarks stay at the checkout's root, so
``python -m benchmarks.X`` and ``python benchmarks/X.py`` keep working there, while the wheel carries the same
files as the subpackage ``omnialloc.bench`` (``omnialloc bench ...``, ``python -m omnialloc.bench.X``).
pyproject's ``packages.find`` cannot add a package from another folder under a prefix, hence this file.
"""

from setuptools import find_namespace_packages, setup

BENCH = "omnialloc.bench"

setup(
    package_dir={"": "src", BENCH: "benchmarks"},
    # src/ as pyproject's `packages.find` found it (namespace folders too: the migrations, the templates), and
    # every folder of benchmarks/ (load/ is scripts without an __init__.py; results/ only holds outputs)
    packages=find_namespace_packages("src")
    + [BENCH]
    + [f"{BENCH}.{p}" for p in find_namespace_packages("benchmarks", exclude=["__pycache__", "*.__pycache__"])],
    # The results are outputs of a checkout's runs, not shipped: an installed `omnialloc bench` writes them
    # to ./bench-results.
    exclude_package_data={BENCH: ["RESULTS.md"], f"{BENCH}.results": ["*"]},
)
