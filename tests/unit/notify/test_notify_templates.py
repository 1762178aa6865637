"""Message templates: every kind renders on both channels, SMS fits one GSM-7 message, overrides work."""

import copy

import pytest

from omnialloc.notify.catalog import Channel, Kind
from omnialloc.notify.context import worst_case
from omnialloc.notify.gsm import SMS_LIMIT, gsm7_length, is_gsm7
from omnialloc.notify.templates import Templates, TemplateProblem, indian_grouping, rupees


def _variants():
    """The worst-case context for each payment mode, with and without a reason."""
    base = worst_case()
    for mode in ("COD", "PREPAID"):
        ctx = copy.deepcopy(base)
        ctx["order"]["payment_mode"] = mode
        yield ctx
    bare = copy.deepcopy(base)
    bare["reason"] = None
    bare["rma"]["pickup_date"] = None
    yield bare


@pytest.mark.parametrize("kind", list(Kind))
def test_sms_templates_fit_in_160_gsm7_characters_at_worst(kind):
    templates = Templates()
    for ctx in _variants():
        text = templates.render_raw_sms(kind, ctx)
        assert is_gsm7(text), text
        assert gsm7_length(text) <= SMS_LIMIT, f"{kind}: {gsm7_length(text)} units: {text}"


@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_has_a_subject_text_and_html_email(kind):
    mail = Templates().render(kind, Channel.EMAIL, worst_case())
    assert mail.subject and "\n" not in mail.subject
    assert "Venkataramanan" in mail.text
    assert mail.html.lstrip().startswith("<!doctype html>")


def test_shipped_email_carries_awb_and_tracking_link():
    ctx = worst_case()
    mail = Templates().render(Kind.ORDER_SHIPPED, Channel.EMAIL, ctx)
    assert ctx["shipment"]["awb"] in mail.subject
    assert ctx["shipment"]["tracking_url"] in mail.text
    assert f'href="{ctx["shipment"]["tracking_url"]}"' in mail.html


def test_html_escapes_customer_supplied_text():
    ctx = worst_case()
    ctx["customer"]["first_name"] = "<script>x</script>"
    mail = Templates().render(Kind.ORDER_CONFIRMED, Channel.EMAIL, ctx)
    assert "<script>" not in mail.html
    assert "&lt;script&gt;" in mail.html
    assert "<script>x</script>" in mail.text  # plain text is not HTML


def test_a_folder_overrides_one_template_and_keeps_the_rest(tmp_path):
    (tmp_path / "sms").mkdir()
    (tmp_path / "sms" / "delivered.txt").write_text("Delivered {{ order.ref | clip(10) }} - thanks!")
    templates = Templates(tmp_path)
    ctx = worst_case()
    assert templates.render(Kind.DELIVERED, Channel.SMS, ctx).text == "Delivered XXXXXXXX.. - thanks!"
    assert "confirmed" in templates.render(Kind.ORDER_CONFIRMED, Channel.SMS, ctx).text


def test_an_override_with_an_unknown_variable_fails_loudly(tmp_path):
    (tmp_path / "sms").mkdir()
    (tmp_path / "sms" / "delivered.txt").write_text("Hi {{ customer.nickname }}")
    with pytest.raises(TemplateProblem, match="nickname"):
        Templates(tmp_path).render(Kind.DELIVERED, Channel.SMS, worst_case())


def test_rendered_sms_is_fitted_even_if_an_override_is_too_long(tmp_path):
    (tmp_path / "sms").mkdir()
    (tmp_path / "sms" / "delivered.txt").write_text("₹ " + "long words " * 30)
    text = Templates(tmp_path).render(Kind.DELIVERED, Channel.SMS, worst_case()).text
    assert is_gsm7(text) and gsm7_length(text) <= SMS_LIMIT


def test_utf8_subjects_keep_the_rupee_sign():
    mail = Templates().render(Kind.REFUND_ISSUED, Channel.EMAIL, worst_case())
    assert "₹99,99,999.99" in mail.subject


@pytest.mark.parametrize(("number", "text"), [(0, "0"), (999, "999"), (1000, "1,000"), (100000, "1,00,000"),
                                              (12345678, "1,23,45,678"), (-1500, "-1,500")])
def test_indian_digit_grouping(number, text):
    assert indian_grouping(number) == text


def test_rupees_from_paise():
    assert rupees(12345678) == "₹1,23,456.78"
    assert rupees(5) == "₹0.05"
