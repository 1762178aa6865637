"""Document facts and invoices: node sellers, SKU default boxes, and the gapless invoice series.

``issue_invoice`` keeps the store contract of docs/documents.md ("What the store must guarantee"):
the counter row of (node, financial year) is created if missing and bumped by an UPDATE in the
invoice's own transaction, whose row lock (PostgreSQL; SQLite: the write transaction's BEGIN
IMMEDIATE) makes concurrent issuers take turns; a rollback rolls the counter back with it, so a
serial is used exactly when its invoice commits. Never a sequence, never MAX + 1. Credit notes have a
series of their own per node and year (``issue_credit_note``), handed out the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from omnialloc.domain.fulfilment import IssuedCreditNote, IssuedInvoice, NodeSeller, SkuBox
from omnialloc.store.repositories._base import Repository, insert, utcnow
from omnialloc.store.tables.documents import (credit_note_series, credit_notes, invoice_series, invoices, node_sellers,
                                              sku_fulfilment)


def _invoice(r) -> IssuedInvoice:
    return IssuedInvoice(id=r.id, shipment_id=r.shipment_id, node=r.node, fy_start_year=r.fy_start_year,
                         serial=r.serial, number=r.number, issued_at=r.issued_at, snapshot=dict(r.snapshot))


def _credit_note(r) -> IssuedCreditNote:
    return IssuedCreditNote(id=r.id, invoice_id=r.invoice_id, shipment_id=r.shipment_id, node=r.node,
                            fy_start_year=r.fy_start_year, serial=r.serial, number=r.number, source=r.source,
                            issued_at=r.issued_at, snapshot=dict(r.snapshot))


class DocumentRepository(Repository):
    # -------------------------------------------------------------- sellers and boxes
    def seller(self, node: str) -> NodeSeller | None:
        r = self.conn.execute(sa.select(node_sellers).where(node_sellers.c.node == node)).first()
        return None if r is None else NodeSeller(r.node, r.legal_name, r.invoice_prefix, r.phone)

    def put_seller(self, seller: NodeSeller) -> None:
        values = dict(legal_name=seller.legal_name, invoice_prefix=seller.invoice_prefix, phone=seller.phone,
                      updated_at=utcnow())
        stmt = insert(self.conn, node_sellers).values(node=seller.node, **values)
        self.conn.execute(stmt.on_conflict_do_update(index_elements=[node_sellers.c.node], set_=values))

    def sku_boxes(self, skus: Iterable[str]) -> dict[str, SkuBox]:
        codes = sorted(set(skus))
        if not codes:
            return {}
        rows = self.conn.execute(sa.select(sku_fulfilment).where(sku_fulfilment.c.sku.in_(codes),
                                                                 sku_fulfilment.c.box_length_mm.is_not(None)))
        return {r.sku: SkuBox(r.sku, r.box_length_mm, r.box_width_mm, r.box_height_mm, r.box_weight_g) for r in rows}

    def put_sku_box(self, box: SkuBox) -> None:
        values = dict(box_length_mm=box.length_mm, box_width_mm=box.width_mm, box_height_mm=box.height_mm,
                      box_weight_g=box.box_weight_g, updated_at=utcnow())
        stmt = insert(self.conn, sku_fulfilment).values(sku=box.sku, **values)
        self.conn.execute(stmt.on_conflict_do_update(index_elements=[sku_fulfilment.c.sku], set_=values))

    # -------------------------------------------------------------- invoices
    def invoice_for(self, shipment_id: str) -> IssuedInvoice | None:
        r = self.conn.execute(sa.select(invoices).where(invoices.c.shipment_id == shipment_id)).first()
        return None if r is None else _invoice(r)

    def issue_invoice(self, *, invoice_id: str, shipment_id: str, node: str, fy_start_year: int, prefix: str,
                      issued_at: datetime, number_for: Callable[[str, int], str],
                      snapshot_for: Callable[[str], dict]) -> IssuedInvoice:
        """Take the next serial of (node, year) and write the invoice, in this transaction.

        ``number_for(prefix, serial)`` formats the number (the year's stored prefix, copied from the node
        when the year's row was created: a prefix changed mid-year applies from the next year);
        ``snapshot_for(number)`` gives what the invoice shows, kept for reprints."""
        serial, year_prefix = self._next_serial(invoice_series, node, fy_start_year, prefix)
        number = number_for(year_prefix, serial)
        snapshot = snapshot_for(number)
        row: dict[str, Any] = dict(id=invoice_id, shipment_id=shipment_id, node=node, fy_start_year=fy_start_year,
                   serial=serial, number=number, issued_at=issued_at, snapshot=snapshot)
        self.conn.execute(invoices.insert().values(**row))
        return IssuedInvoice(**row)

    def _next_serial(self, series: sa.Table, node: str, fy_start_year: int, prefix: str) -> tuple[int, str]:
        """The next serial of (node, year) in ``series`` (invoices or credit notes) and the year's prefix: the
        counter row is made if missing and bumped by an UPDATE whose row lock makes concurrent issuers take
        turns; it rolls back with the caller's transaction."""
        self.conn.execute(insert(self.conn, series)
                          .values(node=node, fy_start_year=fy_start_year, prefix=prefix, last_serial=0)
                          .on_conflict_do_nothing(index_elements=[series.c.node, series.c.fy_start_year]))
        bumped = self.conn.execute(
            series.update()
            .where(series.c.node == node, series.c.fy_start_year == fy_start_year)
            .values(last_serial=series.c.last_serial + 1)
            .returning(series.c.last_serial, series.c.prefix)).one()
        return bumped.last_serial, bumped.prefix

    def invoice(self, invoice_id: str) -> IssuedInvoice | None:
        r = self.conn.execute(sa.select(invoices).where(invoices.c.id == invoice_id)).first()
        return None if r is None else _invoice(r)

    def invoices_for(self, shipment_ids: Iterable[str]) -> list[IssuedInvoice]:
        ids = sorted(set(shipment_ids))
        if not ids:
            return []
        rows = self.conn.execute(sa.select(invoices).where(invoices.c.shipment_id.in_(ids))
                                 .order_by(invoices.c.issued_at, invoices.c.id))
        return [_invoice(r) for r in rows]

    # -------------------------------------------------------------- credit notes
    def credit_notes_of(self, invoice_id: str) -> list[IssuedCreditNote]:
        rows = self.conn.execute(sa.select(credit_notes).where(credit_notes.c.invoice_id == invoice_id)
                                 .order_by(credit_notes.c.serial))
        return [_credit_note(r) for r in rows]

    def credit_notes_for(self, shipment_id: str) -> list[IssuedCreditNote]:
        rows = self.conn.execute(sa.select(credit_notes).where(credit_notes.c.shipment_id == shipment_id)
                                 .order_by(credit_notes.c.issued_at, credit_notes.c.serial))
        return [_credit_note(r) for r in rows]

    def credit_note(self, credit_note_id: str) -> IssuedCreditNote | None:
        r = self.conn.execute(sa.select(credit_notes).where(credit_notes.c.id == credit_note_id)).first()
        return None if r is None else _credit_note(r)

    def credit_note_by_source(self, invoice_id: str, source: str) -> IssuedCreditNote | None:
        r = self.conn.execute(sa.select(credit_notes).where(credit_notes.c.invoice_id == invoice_id,
                                                            credit_notes.c.source == source)).first()
        return None if r is None else _credit_note(r)

    def issue_credit_note(self, *, credit_note_id: str, invoice: IssuedInvoice, source: str, fy_start_year: int,
                          prefix: str, issued_at: datetime, number_for: Callable[[str, int], str],
                          snapshot_for: Callable[[str], dict]) -> IssuedCreditNote:
        """Take the next serial of the node's credit-note series for the year and write the note against
        ``invoice``, in this transaction (the invoice series' contract, on its own counter)."""
        serial, year_prefix = self._next_serial(credit_note_series, invoice.node, fy_start_year, prefix)
        number = number_for(year_prefix, serial)
        row: dict[str, Any] = dict(
            id=credit_note_id, invoice_id=invoice.id, shipment_id=invoice.shipment_id, node=invoice.node,
            fy_start_year=fy_start_year, serial=serial, number=number, source=source, issued_at=issued_at,
            snapshot=snapshot_for(number))
        self.conn.execute(credit_notes.insert().values(**row))
        return IssuedCreditNote(**row)
