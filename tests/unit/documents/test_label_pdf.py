"""Shipping labels read back: the text a person reads (pypdf) and the AWB a scanner reads (zxing-cpp)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omnialloc.documents import LabelLayout, render_label, render_labels
from omnialloc.domain.enums import PaymentMode
from tests.unit.documents.support import (
    barcodes, customer, item, label, metadata, node_address, page_texts, pdf_pages, pdf_text,
)

INCH = 72


def test_thermal_label_is_4_by_6_inches_and_its_barcode_reads_back_as_the_awb():
    pdf = render_label(label(awb="DLV1234567890"))
    (page,) = pdf_pages(pdf)
    assert (float(page.mediabox.width), float(page.mediabox.height)) == (4 * INCH, 6 * INCH)
    assert barcodes(pdf) == ["DLV1234567890"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.from_regex(r"[A-Z0-9]{8,20}", fullmatch=True) | st.from_regex(r"[!-~]{1,30}", fullmatch=True))
def test_any_printable_awb_decodes_back_from_the_label(awb):
    assert barcodes(render_label(label(awb=awb)), dpi=300) == [awb]


def test_label_shows_carrier_service_references_ship_to_return_address_and_weight():
    text = pdf_text(render_label(label(carrier="Blue Dart", service="Apex", order_ref="WEB-77", shipment_ref="SH-9",
                                       weight_g=1_250, routing_code="BLR/WFD")))
    for expected in ["Blue Dart", "Apex", "AWB DLV1234567890", "BLR/WFD", "Order: WEB-77", "Shipment: SH-9",
                     "DELIVER TO", "Ananya Rao", "Flat 402, Lakeside Habitat, Varthur Road, Whitefield",
                     "Bengaluru, Karnataka", "PIN 560087", "Phone: +91 98450 12345", "Weight: 1.250 kg",
                     "IF UNDELIVERED, RETURN TO", "Bengaluru FC", "Survey 41, Hoskote Industrial Area",
                     "562114", "GSTIN 29AAPFU0939F1ZR", "Cotton kurta 1 (KUR-001)", "CONTENTS (3 UNITS)"]:
        assert expected in text, expected


def test_cod_label_says_how_much_to_collect():
    text = pdf_text(render_label(label(payment=PaymentMode.COD, cod_paise=1_23_456_78)))
    assert "COD: collect Rs 1,23,456.78" in text
    assert "PREPAID" not in text


def test_prepaid_label_says_collect_nothing():
    text = pdf_text(render_label(label(payment=PaymentMode.PREPAID, cod_paise=0)))
    assert "PREPAID: do not collect cash" in text
    assert "COD" not in text


def test_dates_are_printed_on_the_nodes_clock():
    at = datetime(2025, 3, 31, 19, 0, tzinfo=timezone.utc)
    dispatch = datetime(2025, 4, 1, 6, 0, tzinfo=timezone.utc)
    ist = pdf_text(render_label(label(issued_at=at, dispatch_by=dispatch)))
    assert "Printed: 01 Apr 2025, 00:30 IST" in ist and "Dispatch by: 01 Apr 2025, 11:30 IST" in ist
    dubai = pdf_text(render_label(label(issued_at=at, timezone="Asia/Dubai")))
    assert "Printed: 31 Mar 2025, 23:00 +04" in dubai


def test_same_view_gives_the_same_bytes_with_its_issue_time_as_creation_date():
    first, second = render_label(label()), render_label(label())
    assert first == second
    meta = metadata(first)
    assert meta["/CreationDate"] == "D:20250601144500+05'30'"
    assert meta["/Title"] == "Shipping label DLV1234567890"
    assert render_label(label(awb="DLV1234567891")) != first


def test_long_text_is_cut_to_its_box_with_an_ellipsis_and_never_pushes_the_barcode_out():
    long = label(ship_to=customer(name="N" * 200, line1="Tower " * 33, line2="Lane " * 40),
                 return_to=node_address(line1="Warehouse road " * 13),
                 items=tuple(item(n, name="Very long product name " * 8) for n in range(1, 40)))
    pdf = render_label(long)
    text = pdf_text(pdf)
    assert "…" in text
    assert "more items" in text  # the contents list ends in a count of what did not fit
    assert barcodes(pdf) == [long.awb]
    assert len(pdf_pages(pdf)) == 1


def test_contents_list_counts_what_it_could_not_show():
    many = label(items=tuple(item(n, qty=2) for n in range(1, 21)))
    text = pdf_text(render_label(many))
    assert "CONTENTS (40 UNITS)" in text
    shown = sum(f"(KUR-{n:03d})" in text for n in range(1, 21))
    assert f"+ {20 - shown} more items {2 * (20 - shown)}" in text


def test_a4_sheet_holds_four_labels_each_decodable():
    views = [label(awb=f"AWB{n:09d}", order_ref=f"WEB-{n}") for n in range(1, 8)]
    pdf = render_labels(views, LabelLayout.A4_4UP)
    pages = pdf_pages(pdf)
    assert len(pages) == 2
    assert (round(float(pages[0].mediabox.width)), round(float(pages[0].mediabox.height))) == (595, 842)
    assert sorted(barcodes(pdf, 0, dpi=300)) == [f"AWB{n:09d}" for n in range(1, 5)]
    assert sorted(barcodes(pdf, 1, dpi=300)) == [f"AWB{n:09d}" for n in range(5, 8)]
    texts = page_texts(pdf)
    assert all(f"Order: WEB-{n}" in texts[(n - 1) // 4] for n in range(1, 8))


def test_merged_thermal_labels_keep_the_order_given():
    views = [label(awb=f"XB{n:08d}") for n in (5, 3, 9, 1)]
    pdf = render_labels(views)
    assert [barcodes(pdf, i, dpi=200) for i in range(4)] == [[v.awb] for v in views]


def test_no_labels_is_refused():
    with pytest.raises(ValueError):
        render_labels([])


def test_names_in_latin_scripts_beyond_ascii_survive():
    text = pdf_text(render_label(label(ship_to=customer(name="José Müller-Øster"))))
    assert "José Müller-Øster" in text


def test_rendering_in_threads_gives_the_same_bytes_as_one_by_one():
    # Web workers render concurrently; the font registry and subsets are shared, the files must not be.
    views = [label(awb=f"AWB{n:08d}", order_ref=f"WEB-{n}") for n in range(24)]
    one_by_one = [render_label(v) for v in views]
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(render_label, views)) == one_by_one
