"""The pure CSV reading of bank statements and settlement reports: values, headers in English and Chinese,
encodings, row errors and the categorising rules. No database."""

from datetime import date
from decimal import Decimal

import pytest

from finance.imports import (
    category_guess,
    category_parse,
    csv_text_decode,
    parse_amount,
    parse_date,
    settlement_parse,
    statement_parse,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-05", date(2026, 3, 5)),
        ("2026/3/5", date(2026, 3, 5)),
        ("2026.03.05", date(2026, 3, 5)),
        ("2026年3月5日", date(2026, 3, 5)),
        ("20260305", date(2026, 3, 5)),
        ("2026-03-05 14:22:01", date(2026, 3, 5)),
        ("2026-02-30", None),
        ("05/03/2026", None),
        ("", None),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.5", Decimal("1234.50")),
        ("-1,234.50", Decimal("-1234.50")),
        ("¥2,000", Decimal("2000.00")),
        ("(300.10)", Decimal("-300.10")),
        ("－88.00", Decimal("-88.00")),
        ("15元", Decimal("15.00")),
        ("+7", Decimal("7.00")),
        ("1.005", None),
        ("abc", None),
        ("1,23.00", None),
    ],
)
def test_parse_amount(text, expected):
    assert parse_amount(text) == expected


def test_category_parse_accepts_code_label_and_chinese_name():
    assert category_parse("rent") == "rent"
    assert category_parse("Payroll") == "payroll"
    assert category_parse("房租") == "rent"
    assert category_parse("广告") == "ads"
    assert category_parse("nonsense") is None


@pytest.mark.parametrize(
    ("amount", "description", "counterparty", "expected"),
    [
        ("-5000", "货款", "华南纺织有限公司", "supplier"),
        ("-25000", "3月工资", "", "payroll"),
        ("-25000", "Monthly payroll", "", "payroll"),
        ("-8000", "", "房东 租金", "rent"),
        ("-8000", "office rent March", "", "rent"),
        ("18650.40", "天猫结算", "支付宝", "settlement"),
        ("900", "Shopify payout", "", "settlement"),
        ("1200", "支付宝结算", "", "settlement"),
        ("-3000", "增值税", "国家税务总局", "tax"),
        ("-600", "直通车充值", "", "ads"),
        ("-600", "巨量引擎", "", "ads"),
        ("-450", "顺丰快递", "", "logistics"),
        ("-99", "SaaS subscription", "", "software"),
        ("-10000", "店铺保证金", "", "deposit"),
        ("-50", "bank fee", "", "other"),
        ("50", "interest", "", "other_income"),
        ("-10", "current account fee", "", "other"),  # "rent" inside "current" is not rent
    ],
)
def test_category_guess_rules(amount, description, counterparty, expected):
    suppliers = frozenset({"华南纺织有限公司"})
    assert (
        category_guess(
            amount=Decimal(amount),
            description=description,
            counterparty=counterparty,
            supplier_names=suppliers,
        )
        == expected
    )


def test_statement_with_chinese_headers_and_debit_credit():
    text = (
        "日期,摘要,对方户名,支出,收入,流水号,类别\n"
        "2026-03-02,3月工资,,25000.00,,BK1,\n"
        '2026/3/3,天猫结算,支付宝,,"18,650.40",BK2,\n'
        "2026年3月5日,杂项,某公司,120.00,,BK3,rent\n"
    )
    rows, errors = statement_parse(text)
    assert errors == []
    assert [(r.line, r.booked_on, r.amount, r.category, r.category_guessed, r.reference) for r in rows] == [
        (2, date(2026, 3, 2), Decimal("-25000.00"), "payroll", True, "BK1"),
        (3, date(2026, 3, 3), Decimal("18650.40"), "settlement", True, "BK2"),
        (4, date(2026, 3, 5), Decimal("-120.00"), "rent", False, "BK3"),
    ]


def test_statement_row_errors_name_line_and_column():
    text = (
        "date,amount,description,reference,category\n"
        "2026-03-02,-100,ok,R1,\n"
        "not a date,-100,bad date,R2,\n"
        "2026-03-03,abc,bad amount,R3,\n"
        "2026-03-04,0,zero,R4,\n"
        "2026-03-05,-5,unknown category,R5,nope\n"
        "2026-03-06,,missing amount,R6,\n"
    )
    rows, errors = statement_parse(text)
    assert [r.line for r in rows] == [2]
    assert [(e.line, e.column) for e in errors] == [
        (3, "date"),
        (4, "amount"),
        (5, "amount"),
        (6, "category"),
        (7, "amount"),
    ]


def test_statement_header_needs_an_amount_column():
    rows, errors = statement_parse("date,description\n2026-03-02,x\n")
    assert rows == []
    assert [(e.line, e.column) for e in errors] == [(1, "amount")]


def test_statement_header_needs_a_date():
    rows, errors = statement_parse("amount,description\n-1,x\n")
    assert rows == [] and [e.line for e in errors] == [1]


def test_decoding_utf8_bom_and_gbk():
    text = "日期,金额,摘要\n2026-03-02,-1,房租\n"
    assert csv_text_decode(("\ufeff" + text).encode("utf-8")) == text
    assert csv_text_decode(text.encode("utf-8")) == text
    assert csv_text_decode(text.encode("gbk")) == text
    rows, errors = statement_parse(csv_text_decode(text.encode("gbk")))
    assert errors == [] and rows[0].category == "rent" and rows[0].amount == Decimal("-1.00")


def test_settlement_rows_with_chinese_headers():
    text = "订单号,结算金额,结算日期,流水号\nT1,188.80,2026-03-05,S1\nT2,-5.00,2026/3/6,S2\n"
    rows, errors = settlement_parse(text, channel_given=True)
    assert errors == []
    assert [(r.line, r.order_external_id, r.amount, r.settled_on, r.reference, r.channel) for r in rows] == [
        (2, "T1", Decimal("188.80"), date(2026, 3, 5), "S1", ""),
        (3, "T2", Decimal("-5.00"), date(2026, 3, 6), "S2", ""),
    ]


def test_settlement_rows_need_a_channel_when_none_is_chosen():
    text = "order id,amount,settled date,reference,channel\nT1,10,2026-03-05,S1,\nT2,10,2026-03-05,S2,JD\n"
    rows, errors = settlement_parse(text, channel_given=False)
    assert [(r.line, r.channel) for r in rows] == [(3, "jd")]
    assert [(e.line, e.column) for e in errors] == [(2, "channel")]


def test_settlement_row_errors():
    text = (
        "order_id,amount,settled_on,reference\n"
        ",10,2026-03-05,S1\n"
        "T2,x,2026-03-05,S2\n"
        "T3,10,soon,S3\n"
        "T4,0,2026-03-05,\n"
    )
    rows, errors = settlement_parse(text, channel_given=True)
    assert rows == []
    assert [(e.line, e.column) for e in errors] == [
        (2, "order_id"),
        (3, "amount"),
        (4, "settled_on"),
        (5, "reference"),
        (5, "amount"),
    ]
