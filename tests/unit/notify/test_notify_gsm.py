"""GSM-7 length counting and fitting text into one SMS."""

import pytest

from omnialloc.notify.gsm import SMS_LIMIT, fit_sms, gsm7_length, is_gsm7, to_gsm7


def test_basic_characters_count_one_unit_each():
    assert gsm7_length("Order 123 shipped @ 5pm") == 23


def test_extension_characters_count_two_units():
    assert gsm7_length("{}[]€") == 10


def test_characters_outside_the_alphabet_are_refused():
    with pytest.raises(ValueError, match="U\\+20B9"):
        gsm7_length("₹100")


def test_rupee_sign_and_smart_quotes_are_spelled_in_gsm7():
    assert to_gsm7("₹100 “ok” – it’s") == 'Rs.100 "ok" - it\'s'


def test_accents_are_stripped_and_unknown_scripts_become_question_marks():
    text = to_gsm7("Zoë नमस्ते")
    assert is_gsm7(text)
    assert text.startswith("Zoë") or text.startswith("Zoe")
    assert "?" in text


def test_fit_leaves_short_text_alone_but_collapses_whitespace():
    assert fit_sms("Your  order\n shipped") == "Your order shipped"


def test_fit_cuts_long_text_at_a_word_within_the_limit():
    text = fit_sms("word " * 60)
    assert gsm7_length(text) <= SMS_LIMIT
    assert text.endswith("word...")
