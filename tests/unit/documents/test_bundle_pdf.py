"""Many documents as one PDF: order kept, each at its own page size, labels decodable."""

from __future__ import annotations

import pytest

from omnialloc.documents import LabelLayout, render_bundle
from tests.unit.documents.support import barcodes, invoice, label, manifest, packing_slip, page_texts, pdf_pages


def test_each_shipments_label_invoice_and_slip_in_turn():
    docs = []
    for n in (1, 2):
        docs += [label(awb=f"AWB{n:08d}", order_ref=f"WEB-{n}"), invoice(invoice_number=f"BLR1/2526/0000{n}",
                                                                          order_ref=f"WEB-{n}"),
                 packing_slip(order_ref=f"WEB-{n}")]
    pdf = render_bundle(docs)
    pages = pdf_pages(pdf)
    sizes = [(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in pages]
    assert sizes == [(288, 432), (595, 842), (595, 842)] * 2
    texts = page_texts(pdf)
    assert "AWB AWB00000001" in texts[0] and "BLR1/2526/00001" in texts[1] and "PACKING SLIP" in texts[2]
    assert "AWB AWB00000002" in texts[3] and "BLR1/2526/00002" in texts[4]
    assert barcodes(pdf, 3, dpi=200) == ["AWB00000002"]
    # Each document counts its own pages.
    assert "Page 1 of 1" in texts[1] and "Page 1 of 1" in texts[2]


def test_consecutive_labels_share_a4_sheets_and_a_manifest_follows():
    docs = [label(awb=f"AWB{n:08d}") for n in range(5)] + [manifest()]
    pages = page_texts(render_bundle(docs, label_layout=LabelLayout.A4_4UP))
    assert len(pages) == 3
    assert "MANIFEST" in pages[2]


def test_bundle_refuses_nothing_and_strangers():
    with pytest.raises(ValueError):
        render_bundle([])
    with pytest.raises(TypeError):
        render_bundle([label(), "not a document"])  # type: ignore[list-item]
