"""Builders for document views and readers that take a PDF apart again: its text (pypdf), its pages as
images (pypdfium2) and the barcodes on them (zxing-cpp). Nothing here uses omnialloc's renderers."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import datetime, timezone

import pypdf
import pypdfium2
import zxingcpp

from omnialloc.documents import (
    InvoiceView, Item, LabelView, ManifestEntry, ManifestView, PackingSlipView, PostalAddress,
)
from omnialloc.domain.enums import PaymentMode

ISSUED = datetime(2025, 6, 1, 9, 15, tzinfo=timezone.utc)          # 14:45 IST
SELLER_GSTIN_KA = "29AAPFU0939F1ZR"                                 # same PAN registered in Karnataka
SELLER_GSTIN_MH = "27AAPFU0939F1ZV"                                 # a published valid GSTIN


def customer(**changes) -> PostalAddress:
    base = PostalAddress(name="Ananya Rao", line1="Flat 402, Lakeside Habitat", line2="Varthur Road, Whitefield",
                         city="Bengaluru", state="Karnataka", pin="560087", phone="+91 98450 12345")
    return replace(base, **changes)


def node_address(**changes) -> PostalAddress:
    base = PostalAddress(name="Bengaluru FC", line1="Survey 41, Hoskote Industrial Area", city="Hoskote",
                         state="Karnataka", pin="562114", phone="080 2797 0000")
    return replace(base, **changes)


def item(n: int = 1, **changes) -> Item:
    base = Item(sku=f"KUR-{n:03d}", name=f"Cotton kurta {n}", qty=1, unit_price_paise=129_900,
                barcode=f"89012345{n:05d}", hsn="6109", gst_rate_bp=500)
    return replace(base, **changes)


def label(**changes) -> LabelView:
    base = LabelView(carrier="Delhivery", service="Surface", awb="DLV1234567890", order_ref="WEB-100234",
                     ship_to=customer(), return_to=node_address(), weight_g=850, payment=PaymentMode.COD,
                     cod_paise=389_700, items=(item(1), item(2, qty=2)), shipment_ref="SH-77",
                     seller_name="Omni Retail Pvt Ltd", seller_gstin=SELLER_GSTIN_KA, issued_at=ISSUED)
    return replace(base, **changes)


def invoice(**changes) -> InvoiceView:
    base = InvoiceView(invoice_number="BLR1/2526/00042", seller_name="Omni Retail Private Limited",
                       seller_gstin=SELLER_GSTIN_KA, seller_address=node_address(), bill_to=customer(),
                       ship_to=customer(), place_of_supply="KA", items=(item(1),), order_ref="WEB-100234",
                       payment=PaymentMode.PREPAID, issued_at=ISSUED)
    return replace(base, **changes)


def packing_slip(**changes) -> PackingSlipView:
    base = PackingSlipView(order_ref="WEB-100234", node_code="BLR1", node_name="Bengaluru FC", ship_to=customer(),
                           items=(item(1), item(2, qty=3)), shipment_ref="SH-77", carrier="Delhivery",
                           awb="DLV1234567890", weight_g=850, issued_at=ISSUED)
    return replace(base, **changes)


def entry(n: int, **changes) -> ManifestEntry:
    base = ManifestEntry(awb=f"DLV{9_000_000 + n}", order_ref=f"WEB-{n}", destination_city="Mumbai",
                         destination_pin="400001", weight_g=500, payment=PaymentMode.PREPAID)
    return replace(base, **changes)


def manifest(**changes) -> ManifestView:
    base = ManifestView(manifest_ref="MF-BLR1-0001", node_code="BLR1", node_name="Bengaluru FC",
                        node_address=node_address(), carrier="Delhivery", entries=(entry(1),), issued_at=ISSUED)
    return replace(base, **changes)


def pdf_pages(pdf: bytes) -> list[pypdf.PageObject]:
    return list(pypdf.PdfReader(io.BytesIO(pdf)).pages)


def pdf_text(pdf: bytes) -> str:
    """All text of the PDF, pages joined, whitespace folded to single spaces."""
    return " ".join(" ".join(page.extract_text().split()) for page in pdf_pages(pdf))


def page_texts(pdf: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in pdf_pages(pdf)]


def barcodes(pdf: bytes, page: int = 0, *, dpi: int = 300) -> list[str]:
    """The Code 128 barcodes zxing-cpp reads on one page rendered at ``dpi``, top to bottom, left to right."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[page].render(scale=dpi / 72).to_pil()
    finally:
        document.close()
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.Code128)
    found.sort(key=lambda b: (round(b.position.top_left.y / 50), b.position.top_left.x))
    return [b.text for b in found]


def metadata(pdf: bytes) -> dict:
    return dict(pypdf.PdfReader(io.BytesIO(pdf)).metadata or {})
