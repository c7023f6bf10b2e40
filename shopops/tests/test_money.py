from decimal import Decimal

import pytest

from shopops.common.money import format_money, percent_change, to_money
from shopops.common.privacy import mask_phone


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.005", Decimal("1.01")),
        ("1.004", Decimal("1.00")),
        ("-1.005", Decimal("-1.01")),
        (Decimal("2.675"), Decimal("2.68")),
        (3, Decimal("3.00")),
    ],
)
def test_to_money_rounds_half_up_to_the_cent(value, expected):
    assert to_money(value) == expected


def test_to_money_refuses_floats_and_garbage():
    with pytest.raises(TypeError):
        to_money(1.1)
    with pytest.raises(ValueError):
        to_money("abc")
    with pytest.raises(ValueError):
        to_money("NaN")


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        (Decimal("1234567.891"), "CNY", "¥1,234,567.89"),
        (Decimal("-1234.5"), "CNY", "-¥1,234.50"),
        (Decimal("0"), "USD", "$0.00"),
        (Decimal("999"), "XYZ", "XYZ 999.00"),
        (None, "CNY", "–"),
    ],
)
def test_format_money(value, currency, expected):
    assert format_money(value, currency) == expected


def test_percent_change():
    assert percent_change(Decimal("120"), Decimal("100")) == Decimal("0.2000")
    assert percent_change(Decimal("1"), Decimal("3")) == Decimal("-0.6667")
    assert percent_change(Decimal("5"), Decimal("0")) is None


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13800000000", "138****0000"),
        ("", ""),
        ("12345", "***45"),
    ],
)
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


def test_money_filter_has_thousands_separators_in_chinese(settings):
    from django.template import Context, Template
    from django.utils import translation

    with translation.override("zh-hans"):
        html = Template("{{ v|money }} {{ n|intcomma_plain }}").render(
            Context({"v": Decimal("1234567.5"), "n": 98765})
        )
    assert html == "¥1,234,567.50 98,765"
