"""Many documents as one PDF: the bulk "print" of a work queue.

The documents come out in the order given, each on its own pages (labels at their own 4 x 6 in size
or four to an A4 sheet), so a warehouse can print the labels of 200 shipments, or each shipment's
label, invoice and packing slip in turn, with one click.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from omnialloc.documents.invoice import add_invoice
from omnialloc.documents.label import LabelLayout, add_labels
from omnialloc.documents.manifest import add_manifest
from omnialloc.documents.packing_slip import add_packing_slip
from omnialloc.documents.pdf import PdfFile
from omnialloc.documents.views import CreditNoteView, InvoiceView, LabelView, ManifestView, PackingSlipView

Document = LabelView | InvoiceView | CreditNoteView | PackingSlipView | ManifestView

_ADDERS = {InvoiceView: add_invoice, CreditNoteView: add_invoice, PackingSlipView: add_packing_slip,
           ManifestView: add_manifest}


def render_bundle(documents: Sequence[Document], *, label_layout: LabelLayout = LabelLayout.THERMAL_4X6,
                  title: str | None = None) -> bytes:
    """One PDF with every document in order; consecutive labels share A4 sheets in the A4 layout."""
    if not documents:
        raise ValueError("render_bundle needs at least one document")
    unknown = [type(d).__name__ for d in documents if not isinstance(d, (LabelView, *_ADDERS))]
    if unknown:
        raise TypeError(f"render_bundle cannot print {', '.join(sorted(set(unknown)))}")
    first = documents[0]
    pdf = PdfFile(title=title or f"{len(documents)} documents", author="omnialloc", subject="Shipping documents",
                  issued_at=max(d.issued_at for d in documents), tz=first.timezone)
    layout = LabelLayout(label_layout)
    for is_label, run in groupby(documents, key=lambda d: isinstance(d, LabelView)):
        if is_label:
            add_labels(pdf, list(run), layout)  # type: ignore[arg-type]
            continue
        for doc in run:
            _ADDERS[type(doc)](pdf, doc)  # type: ignore[operator]
    return pdf.finish()
