"""Manifests read back: the AWBs handed over, counted and totalled, with room to sign for them."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from omnialloc.documents import ManifestView, render_manifest
from omnialloc.domain.enums import PaymentMode
from omnialloc.domain.money_words import format_rupees
from tests.unit.documents.support import barcodes, entry, manifest, page_texts, pdf_text

entries = st.lists(
    st.tuples(st.integers(1, 30_000), st.booleans(), st.integers(1, 5_00_000_00), st.integers(1, 3)),
    min_size=1, max_size=60)


def build(rows) -> ManifestView:
    return manifest(entries=tuple(
        entry(n, weight_g=w, payment=PaymentMode.COD if cod else PaymentMode.PREPAID, cod_paise=amount if cod else 0,
              packages=pkgs)
        for n, (w, cod, amount, pkgs) in enumerate(rows, start=1)))


@settings(max_examples=25, deadline=None)
@given(entries)
def test_totals_are_the_sums_of_the_entries(rows):
    t = build(rows).totals
    assert t.shipments == len(rows)
    assert t.cod == sum(1 for _, cod, _, _ in rows if cod) and t.prepaid == len(rows) - t.cod
    assert t.cod_paise == sum(amount for _, cod, amount, _ in rows if cod)
    assert t.weight_g == sum(w for w, _, _, _ in rows)
    assert t.packages == sum(p for _, _, _, p in rows)


def test_printed_summary_and_total_row_match_sums_worked_out_here():
    rows = [(500, True, 49_900, 1), (1_250, False, 0, 2), (730, True, 1_23_456_78, 1), (220, False, 0, 1)]
    view = build(rows)
    text = pdf_text(render_manifest(view))
    cod_total = 49_900 + 1_23_456_78
    for expected in ["Shipments 4", "Packages 5", "Prepaid 2", "COD 2", f"COD to collect {format_rupees(cod_total)}",
                     "Total weight 2.700 kg", f"4 shipments 2 COD {format_rupees(cod_total, symbol='')} 2.700 kg 5"]:
        assert expected in text, expected
    assert all(e.awb in text for e in view.entries)
    assert "1,23,456.78" in text and "499.00" in text


def test_manifest_has_signature_boxes_for_both_sides_and_the_count_to_confirm():
    text = pdf_text(render_manifest(build([(500, False, 0, 1)] * 3)))
    assert "Handed over by (Bengaluru FC)" in text and "Received by (Delhivery pickup agent)" in text
    assert "Shipments received: ______ of 3" in text
    assert text.count("Signature:") == 2


def test_manifest_reference_is_a_barcode_and_pickup_is_on_the_nodes_clock():
    view = manifest(pickup_ref="PU-88231", pickup_at=datetime(2025, 6, 1, 11, 30, tzinfo=timezone.utc))
    pdf = render_manifest(view)
    assert barcodes(pdf, dpi=300) == ["MF-BLR1-0001"]
    text = pdf_text(pdf)
    assert "Pickup request: PU-88231" in text and "Pickup slot: 01 Jun 2025, 17:00 IST" in text


def test_long_manifest_runs_over_pages_with_every_awb_once_and_totals_at_the_end():
    view = build([(400, n % 2 == 0, 10_000, 1) for n in range(120)])
    pages = page_texts(render_manifest(view))
    assert len(pages) >= 3
    assert all(f"Page {i} of {len(pages)}" in page for i, page in enumerate(pages, start=1))
    joined = " ".join(pages)
    assert all(len(re.findall(rf"\b{e.awb}\b", joined)) == 1 for e in view.entries)
    assert joined.count("120 shipments 60 COD 6,000.00 48.000 kg 120") == 1  # the total row
    assert ("Handed over: 120 shipments in 120 packages, 48.000 kg; COD to collect ₹6,000.00 on 60 shipments."
            in pages[-1]) and "Shipments received: ______ of 120" in pages[-1]
