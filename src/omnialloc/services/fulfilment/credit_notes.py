"""GST credit notes: goods of an invoiced shipment came back (a customer return, an RTO) or are credited by hand.

A credit note (CGST Act section 34, CGST Rules 53(1A)) reduces one tax invoice: it names that invoice's number
and date and shows the units credited at the invoice's own prices, HSN codes and rates, with CGST + SGST or
IGST as the invoice had them (the same arithmetic, ``domain.gst``, on the credited lines). Its number comes
from the node's own credit-note series for the financial year (``PREFIX/YYYY/CNNNN``), gapless and unique
under concurrency as the invoices' (``uow.documents.issue_credit_note``).

* ``credit_return`` runs in the transaction that counts a return's units in (a customer return received at
  the node, an RTO back at its node): the received units are credited on the invoices they were billed on
  (for an RTO, the shipment that came back; else the order's invoiced shipments, delivered ones first,
  oldest invoice first), never more units of a SKU than an invoice billed less what was credited before.
  One note per invoice and return: receiving again credits nothing twice.
* ``credit_unshipped`` runs in the transaction that cancels or rejects an invoiced shipment (its order or
  lines cancelled, a hold, the node's rejection) or takes units off it: the units its invoice billed that it
  no longer carries are credited.
* ``issue`` is an admin's credit note for a shipment's invoice (``POST /shipments/{id}/credit-notes``):
  the units given, or everything not yet credited.

A credit note's snapshot keeps what it shows, so a reprint is the same document. Each line is taxed on its
own (half up to the paisa), as the invoice's lines were: a line credited in several notes can differ from
the invoice's line by a paisa of rounding per note.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections import Counter
from datetime import datetime

from omnialloc.documents import CreditNoteView
from omnialloc.domain.enums import Role, ShipmentStatus
from omnialloc.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from omnialloc.domain.fulfilment import IssuedCreditNote, IssuedInvoice
from omnialloc.domain.invoice_numbers import FinancialYear, format_credit_note_number, parse_invoice_number
from omnialloc.services.access import Principal
from omnialloc.services.events import now, record
from omnialloc.services.fulfilment import documents

_DELIVERED = (ShipmentStatus.DELIVERED, ShipmentStatus.COLLECTED)


def credited(uow, invoice: IssuedInvoice) -> Counter:
    """Units of each SKU already credited against ``invoice``."""
    done: Counter = Counter()
    for note in uow.documents.credit_notes_of(invoice.id):
        for item in note.snapshot["items"]:
            done[item["sku"]] += item["qty"]
    return done


def creditable(uow, invoice: IssuedInvoice) -> Counter:
    """Units of each SKU the invoice billed that no credit note has credited yet."""
    billed: Counter = Counter()
    for item in invoice.snapshot["items"]:
        billed[item["sku"]] += item["qty"]
    billed.subtract(credited(uow, invoice))
    return +billed


def _items(invoice: IssuedInvoice, units: Counter) -> list[dict]:
    """The invoice's items for ``units`` (same price, HSN and rate), in the invoice's order."""
    left, out = Counter(units), []
    for item in invoice.snapshot["items"]:
        take = min(left[item["sku"]], item["qty"])
        if take > 0:
            out.append({**item, "qty": take})
            left[item["sku"]] -= take
    return out


def _issue(uow, invoice: IssuedInvoice, units: Counter, *, source: str, reason: str, actor: str,
           at: datetime) -> IssuedCreditNote:
    """Write the credit note for ``units`` of ``invoice`` in this transaction (the caller holds the shipment's
    row lock, so two credits of one invoice take turns)."""
    snap = invoice.snapshot
    fy = FinancialYear.of(at, snap["timezone"])

    def snapshot_for(number: str) -> dict:
        snapshot = {**snap, "invoice_number": number, "items": _items(invoice, units), "issued_at": at.isoformat(),
                    "against_invoice": invoice.number, "against_invoice_date": invoice.issued_at.isoformat(),
                    "reason": reason, "copy_label": "Original for Recipient"}
        view_from_snapshot(snapshot)  # a note that cannot be printed is refused before a number is spent
        return snapshot

    note = uow.documents.issue_credit_note(
        credit_note_id="crn_" + secrets.token_hex(8), invoice=invoice, source=source, fy_start_year=fy.start_year,
        prefix=parse_invoice_number(invoice.number).prefix, issued_at=at,
        number_for=lambda prefix, serial: format_credit_note_number(prefix, fy, serial), snapshot_for=snapshot_for)
    record(uow, "shipment", invoice.shipment_id, "credit_note_issued", actor, reason=reason,
           credit_note_number=note.number, invoice_number=invoice.number, source=source,
           total_paise=view_from_snapshot(note.snapshot).tax.total_paise)
    return note


def view_from_snapshot(snap: dict) -> CreditNoteView:
    base = documents.invoice_from_snapshot(snap)
    fields = {f.name: getattr(base, f.name) for f in dataclasses.fields(base)}
    return CreditNoteView(**fields, against_invoice=snap["against_invoice"],
                          against_invoice_date=datetime.fromisoformat(snap["against_invoice_date"]),
                          reason=snap["reason"])


def credit_return(uow, ret, actor: str) -> list[IssuedCreditNote]:
    """In the transaction that counts a return's units in: credit them on the invoices they were billed on."""
    wanted: Counter = Counter()
    for line in ret.lines:
        if line.received_qty:
            wanted[line.sku] += line.received_qty
    if not wanted:
        return []
    order_shipments = uow.shipments.for_order(ret.order_id)
    if ret.source_shipment_id:
        order_shipments = [s for s in order_shipments if s.id == ret.source_shipment_id]
    for s in sorted(order_shipments, key=lambda s: s.id):
        uow.shipments.get(s.id, for_update=True)  # the credits of one invoice take turns (sorted: no deadlock)
    delivered = {s.id for s in order_shipments if s.status in _DELIVERED}
    invoices = sorted(uow.documents.invoices_for([s.id for s in order_shipments]),
                      key=lambda i: (i.shipment_id not in delivered, i.issued_at, i.id))
    source = f"{'rto' if ret.origin == 'rto' else 'return'}:{ret.id}"
    reason = (f"goods returned to origin undelivered (RTO, return {ret.id})" if ret.origin == "rto"
              else f"goods returned by the buyer (return {ret.id})")
    at, notes = now(), []
    for invoice in invoices:
        if not wanted:
            break
        if uow.documents.credit_note_by_source(invoice.id, source) is not None:
            continue  # this return was credited on this invoice before
        open_units = creditable(uow, invoice)
        units = Counter({sku: min(qty, open_units[sku]) for sku, qty in wanted.items() if open_units[sku]})
        if not units:
            continue
        notes.append(_issue(uow, invoice, units, source=source, reason=reason, actor=actor, at=at))
        wanted.subtract(units)
        wanted = +wanted
    return notes


def credit_unshipped(uow, shipment_id: str, actor: str, reason: str) -> IssuedCreditNote | None:
    """In the transaction that cancels or rejects a shipment, or takes units off it, after the change: if it was
    invoiced, credit the units its invoice billed that it no longer carries (and no note credited yet)."""
    invoice = uow.documents.invoice_for(shipment_id)
    if invoice is None:
        return None
    shipment = uow.shipments.get(shipment_id, for_update=True)
    carries: Counter = Counter()
    if shipment.status not in (ShipmentStatus.CANCELLED, ShipmentStatus.REJECTED):
        for line in shipment.lines:
            carries[line.sku] += line.qty
    open_units = creditable(uow, invoice)
    units = +Counter({sku: qty - carries[sku] for sku, qty in open_units.items()})
    if not units:
        return None
    words = " ".join((reason or "").split())[:150]
    return _issue(uow, invoice, units, source="cancel:" + secrets.token_hex(8), actor=actor, at=now(),
                  reason=f"supply cancelled before dispatch ({words})" if words else "supply cancelled before dispatch")


def issue(ctx, principal: Principal, shipment_id: str, body: dict) -> dict:
    """An admin's credit note against the shipment's invoice: ``lines`` [{sku, qty}] (default: every unit not
    yet credited) for ``reason``."""
    principal.require(Role.ADMIN)
    reason = (body.get("reason") or "").strip()
    with ctx.uow() as uow:
        f = documents.facts(uow, principal, shipment_id, for_update=True)
        if f.invoice is None:
            raise Conflict(f"shipment {shipment_id} has no tax invoice: there is nothing to credit")
        open_units = creditable(uow, f.invoice)
        if body.get("lines"):
            units: Counter = Counter()
            for line in body["lines"]:
                units[line["sku"]] += line["qty"]
            errors = [FieldError("lines", f"{sku}: {qty} unit(s) asked, {open_units[sku]} invoiced and not yet "
                                          "credited") for sku, qty in sorted(units.items()) if qty > open_units[sku]]
            if errors:
                raise ValidationFailed("the credit note asks for more than the invoice has left: " + errors[0].message,
                                       field_errors=errors)
        else:
            units = open_units
        if not units:
            raise Conflict(f"invoice {f.invoice.number} is credited in full already")
        note = _issue(uow, f.invoice, units, source="manual:" + secrets.token_hex(8), reason=reason,
                      actor=principal.actor, at=now())
        uow.commit()
    return note_dict(note)


def note_dict(note: IssuedCreditNote) -> dict:
    view = view_from_snapshot(note.snapshot)
    return {"id": note.id, "number": note.number, "invoice_number": view.against_invoice,
            "shipment_id": note.shipment_id, "issued_at": note.issued_at.isoformat(), "reason": view.reason,
            "items": [{"sku": i.sku, "qty": i.qty} for i in view.items], "taxable_paise": view.tax.taxable_paise,
            "tax_paise": view.tax.tax_paise, "total_paise": view.tax.total_paise}


def list_for(ctx, principal: Principal, shipment_id: str) -> dict:
    with ctx.uow(readonly=True) as uow:
        f = documents.facts(uow, principal, shipment_id)
        notes = uow.documents.credit_notes_for(shipment_id)
    return {"shipment_id": shipment_id, "invoice_number": f.invoice.number if f.invoice else None,
            "credit_notes": [note_dict(n) for n in notes]}


def credit_note(ctx, principal: Principal, shipment_id: str, credit_note_id: str) -> CreditNoteView:
    """A credit note's document, as issued (scoped as the shipment: 404 for another node's)."""
    with ctx.uow(readonly=True) as uow:
        documents.facts(uow, principal, shipment_id)
        note = uow.documents.credit_note(credit_note_id)
    if note is None or note.shipment_id != shipment_id:
        raise NotFound(f"credit note {credit_note_id} not found")
    return view_from_snapshot(note.snapshot)
