"""Stock-keeping units: the physical facts that drive shipping cost."""

from __future__ import annotations

import builtins
from collections.abc import Iterable

import sqlalchemy as sa

from omnialloc.domain import Sku
from omnialloc.store.repositories._base import Repository
from omnialloc.store.repositories.revision import bump_revision, changed
from omnialloc.store.tables.network import skus

_FIELDS = ("code", "name", "category", "unit_weight_g", "length_mm", "width_mm", "height_mm", "unit_price_paise",
           "hazmat", "fragile", "returnable")


_MASTER = ("hsn_code", "gst_rate_bp", "active")  # columns of migration 0018 (issue 25)


def sku_row(s: Sku) -> dict:
    """The columns of a SKU's row (what the repository writes, and a network sync too)."""
    return {**{f: getattr(s, f) for f in _FIELDS + _MASTER}, "barcodes": list(s.barcodes)}


def _from_row(r) -> Sku:
    return Sku(**{f: getattr(r, f) for f in _FIELDS + _MASTER}, barcodes=tuple(r.barcodes))


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

    def page(self, after: str | None, limit: int, *, category: str | None = None, active: bool | None = None,
             q: str | None = None, barcode: str | None = None) -> builtins.list[Sku]:
        """Up to ``limit`` SKUs after code ``after`` in code order, filtered (``q``: code or name contains;
        ``barcode``: one of its barcodes, matched in Python on the page's candidates' JSON)."""
        query = sa.select(skus).order_by(skus.c.code)
        if after is not None:
            query = query.where(skus.c.code > after)
        if category is not None:
            query = query.where(skus.c.category == category)
        if active is not None:
            query = query.where(skus.c.active.is_(active))
        if q:
            query = query.where(sa.or_(skus.c.code.icontains(q, autoescape=True),
                                       skus.c.name.icontains(q, autoescape=True)))
        if barcode:  # JSON containment differs per backend: a text match narrows, the exact check follows
            query = query.where(sa.cast(skus.c.barcodes, sa.String).contains(barcode, autoescape=True))
            found = [_from_row(r) for r in self.conn.execute(query)]
            return [s for s in found if barcode in s.barcodes][:limit]
        return [_from_row(r) for r in self.conn.execute(query.limit(limit))]

    def codes_with_barcodes(self, barcodes: Iterable[str]) -> dict[str, str]:
        """{barcode: SKU code} for the given barcodes that some SKU already carries."""
        wanted = set(barcodes)
        if not wanted:
            return {}
        out = {}
        for code, codes in self.conn.execute(sa.select(skus.c.code, skus.c.barcodes)):
            for b in codes or ():
                if b in wanted:
                    out[b] = code
        return out

    # Writes bump the revision token: every process's cached SKU master reloads (services.network.cache).
    def add(self, sku: Sku) -> None:
        self.conn.execute(skus.insert().values(**sku_row(sku)))
        bump_revision(self.conn)

    def update(self, sku: Sku) -> bool:
        row = sku_row(sku)
        code = row.pop("code")
        return changed(self.conn, self.conn.execute(skus.update().where(skus.c.code == code).values(**row)).rowcount)

    def upsert(self, sku: Sku) -> None:
        if not self.update(sku):
            self.add(sku)
