"""Stock-keeping units: the physical facts that drive shipping cost."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from omnialloc.domain import Sku
from omnialloc.store.repositories._base import Repository
from omnialloc.store.repositories.revision import bump_revision, changed
from omnialloc.store.tables.network import skus

_FIELDS = ("code", "name", "category", "unit_weight_g", "length_mm", "width_mm", "height_mm", "unit_price_paise",
           "hazmat", "fragile", "returnable")


def _to_row(s: Sku) -> dict:
    return {f: getattr(s, f) for f in _FIELDS}


def _from_row(r) -> Sku:
    return Sku(**{f: getattr(r, f) for f in _FIELDS})


class SkuRepository(Repository):
    def get(self, code: str) -> Sku | None:
        row = self.conn.execute(sa.select(skus).where(skus.c.code == code)).first()
        return None if row is None else _from_row(row)

    def get_many(self, codes: Iterable[str]) -> dict[str, Sku]:
        """SKUs by code; unknown codes are simply absent from the result."""
        codes = list(codes)
        if not codes:
            return {}
        rows = self.conn.execute(sa.select(skus).where(skus.c.code.in_(codes)))
        return {r.code: _from_row(r) for r in rows}

    def codes(self) -> set[str]:
        """Every SKU code (a bulk check of what a file names, without building the SKUs)."""
        return set(self.conn.execute(sa.select(skus.c.code)).scalars())

    def list(self, *, category: str | None = None) -> list[Sku]:
        q = sa.select(skus).order_by(skus.c.code)
        if category is not None:
            q = q.where(skus.c.category == category)
        return [_from_row(r) for r in self.conn.execute(q)]

    # Writes bump the revision token: every process's cached SKU master reloads (services.network.cache).
    def add(self, sku: Sku) -> None:
        self.conn.execute(skus.insert().values(**_to_row(sku)))
        bump_revision(self.conn)

    def update(self, sku: Sku) -> bool:
        row = _to_row(sku)
        code = row.pop("code")
        return changed(self.conn, self.conn.execute(skus.update().where(skus.c.code == code).values(**row)).rowcount)

    def upsert(self, sku: Sku) -> None:
        if not self.update(sku):
            self.add(sku)
