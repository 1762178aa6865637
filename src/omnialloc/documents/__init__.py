"""Printed documents of fulfilment: shipping labels, GST tax invoices and credit notes, packing slips and
manifests, as PDF.

Build a view (``views``: plain frozen dataclasses in the domain's words, checked when built) and hand
it to a renderer; each returns the PDF's bytes. Nothing here reads a database: services assemble the
views from the store and endpoints return the bytes. See docs/documents.md.
"""

from omnialloc.documents.bundle import Document, render_bundle
from omnialloc.documents.invoice import render_credit_note, render_invoice
from omnialloc.documents.label import LabelLayout, render_label, render_labels
from omnialloc.documents.manifest import render_manifest
from omnialloc.documents.packing_slip import render_packing_slip
from omnialloc.documents.place_of_supply import place_of_supply
from omnialloc.documents.views import (
    DEFAULT_TIMEZONE, CreditNoteView, InvoiceView, Item, LabelView, ManifestEntry, ManifestTotals, ManifestView,
    PackingSlipView, PostalAddress,
)

__all__ = [
    "CreditNoteView", "DEFAULT_TIMEZONE", "Document", "InvoiceView", "Item", "LabelLayout", "LabelView",
    "ManifestEntry", "ManifestTotals", "ManifestView", "PackingSlipView", "PostalAddress", "place_of_supply",
    "render_bundle", "render_credit_note", "render_invoice", "render_label", "render_labels", "render_manifest",
    "render_packing_slip",
]
