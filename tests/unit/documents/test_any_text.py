"""Whatever text a view accepts, every document prints: no input that passes the view's checks fails to render.

The text comes from hypothesis: any Unicode letters, marks, symbols and emoji, XML-looking markup, very long
words. Characters the font lacks (Indian scripts, emoji) print as empty boxes, which is documented; what
matters here is that nothing raises, and that control characters are refused up front with the field named.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omnialloc.documents import render_invoice, render_label, render_manifest, render_packing_slip
from omnialloc.domain.errors import ValidationFailed
from tests.unit.documents.support import customer, entry, invoice, item, label, manifest, packing_slip, pdf_text

text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=200).filter(str.strip)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text, text, text)
def test_every_document_renders_any_accepted_text(name, street, product):
    to = customer(name=name, line1=street)
    goods = (item(1, name=product),)
    assert render_label(label(ship_to=to, items=goods)).startswith(b"%PDF")
    assert render_invoice(invoice(ship_to=to, bill_to=to, items=goods)).startswith(b"%PDF")
    assert render_packing_slip(packing_slip(ship_to=to, items=goods, note=name)).startswith(b"%PDF")
    assert render_manifest(manifest(node_name=product, entries=(entry(1, destination_city=name[:64]),))) \
        .startswith(b"%PDF")


@pytest.mark.parametrize("bad", ["Ananya\nRao", "tab\there", "nul\x00", "\x1b[31mred"])
def test_control_characters_are_refused_with_the_field_named(bad):
    with pytest.raises(ValidationFailed) as caught:
        label(ship_to=customer(name=bad))
    assert [e.field for e in caught.value.field_errors] == ["ship_to.name"]


def test_markup_in_names_is_printed_as_text():
    assert "<b>Kurta</b> & Co" in pdf_text(render_invoice(invoice(items=(item(1, name="<b>Kurta</b> & Co"),))))
