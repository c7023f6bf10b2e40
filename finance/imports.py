"""Bank statements and channel settlement reports read from CSV files: pure functions over text, no
database. The services (finance.services.cash) check the parsed rows against the data and write them.

A bank statement has one row per movement: a date, a signed amount (or a debit and a credit column), a
description, the counterparty, the bank's reference and optionally a category; a blank category is
guessed from the counterparty and the description (`category_guess`). A settlement report has one row per
payout line: the order id on the channel, the amount, the settled date, the channel's reference and, when
the file mixes channels, the channel code.

Headers may be English or Chinese; files UTF-8 (with or without BOM) or GBK/GB18030.
"""

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from finance.models import CashCategory
from shopops.common.csv_import import RowError, csv_header_map, csv_rows
from shopops.common.money import to_money

MAX_ROWS = 20_000

# --- bank statements ----------------------------------------------------------------------------------------
STATEMENT_COLUMNS = (
    "date",
    "amount",
    "debit",
    "credit",
    "description",
    "counterparty",
    "reference",
    "category",
)
STATEMENT_REQUIRED = ("date",)
STATEMENT_ALIASES = {
    "date": ("日期", "交易日期", "记账日期", "入账日期", "booked on", "booked_on", "booking date"),
    "amount": ("金额", "交易金额", "发生额"),
    "debit": ("支出", "支出金额", "借方", "借方金额", "withdrawal"),
    "credit": ("收入", "收入金额", "贷方", "贷方金额", "deposit amount"),
    "description": ("摘要", "交易摘要", "用途", "备注", "memo"),
    "counterparty": ("对方户名", "对方名称", "对方账户名称", "对方账户名", "payee", "payer"),
    "reference": ("流水号", "交易流水号", "参考号", "交易参考号", "reference no", "ref"),
    "category": ("类别", "分类", "类型"),
}
_STATEMENT_HEADERS = {column: column for column in STATEMENT_COLUMNS} | {
    alias.lower(): column for column, aliases in STATEMENT_ALIASES.items() for alias in aliases
}

# --- settlement reports -------------------------------------------------------------------------------------
SETTLEMENT_COLUMNS = ("order_id", "amount", "settled_on", "reference", "channel")
SETTLEMENT_REQUIRED = ("order_id", "amount", "settled_on", "reference")
SETTLEMENT_ALIASES = {
    "order_id": ("order id", "order", "订单号", "订单编号", "主订单编号", "商户订单号"),
    "amount": ("结算金额", "金额", "实际结算金额", "settled amount"),
    "settled_on": (
        "settled date",
        "settled on",
        "settlement date",
        "date",
        "结算日期",
        "结算时间",
        "入账时间",
    ),
    "reference": ("流水号", "结算流水号", "账务流水号", "结算单号"),
    "channel": ("channel code", "渠道", "平台", "店铺"),
}
_SETTLEMENT_HEADERS = {column: column for column in SETTLEMENT_COLUMNS} | {
    alias.lower(): column for column, aliases in SETTLEMENT_ALIASES.items() for alias in aliases
}

# Category names a statement may give instead of the code (besides the English labels).
CATEGORY_ALIASES = {
    CashCategory.SETTLEMENT: ("结算", "平台结算", "回款"),
    CashCategory.OTHER_INCOME: ("其他收入",),
    CashCategory.FINANCING: ("融资", "贷款", "借款"),
    CashCategory.SUPPLIER: ("供应商", "货款", "采购"),
    CashCategory.PAYROLL: ("工资", "薪资"),
    CashCategory.RENT: ("房租", "租金"),
    CashCategory.SOFTWARE: ("软件", "技术"),
    CashCategory.LOGISTICS: ("物流", "快递"),
    CashCategory.PLATFORM_FEES: ("平台费", "平台费用", "佣金"),
    CashCategory.DEPOSIT: ("保证金", "押金"),
    CashCategory.ADS: ("广告", "推广"),
    CashCategory.TAX: ("税", "税费", "税款"),
    CashCategory.TRANSFER: ("转账", "内部转账"),
    CashCategory.OTHER: ("其他",),
}

# Categorising rules for rows without a category, tried in this order on the description and the
# counterparty. ASCII words match whole words only ("rent" is not in "current").
CATEGORY_RULES = (
    (CashCategory.PAYROLL, ("工资", "salary", "payroll")),
    (CashCategory.RENT, ("房租", "租金", "rent")),
    (
        CashCategory.SETTLEMENT,
        ("天猫", "淘宝", "京东", "拼多多", "抖音", "shopify", "支付宝结算", "settlement"),
    ),
    (CashCategory.TAX, ("税", "tax")),
    (CashCategory.ADS, ("广告", "直通车", "巨量", "ads")),
    (CashCategory.LOGISTICS, ("快递", "物流", "logistics")),
    (CashCategory.SOFTWARE, ("软件", "saas", "software")),
    (CashCategory.DEPOSIT, ("保证金", "deposit")),
)


def _rule_pattern(words) -> re.Pattern:
    parts = [rf"\b{re.escape(word)}\b" if word.isascii() else re.escape(word) for word in words]
    return re.compile("|".join(parts), re.IGNORECASE)


_RULES = tuple((category, _rule_pattern(words)) for category, words in CATEGORY_RULES)

_DATE = re.compile(r"(?P<y>[0-9]{4})\s*[-/.年]\s*(?P<m>[0-9]{1,2})\s*[-/.月]\s*(?P<d>[0-9]{1,2})\s*日?")
_DATE_COMPACT = re.compile(r"(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})")
_TIME_TAIL = re.compile(r"[ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2})?(\.[0-9]+)?([+-][0-9]{2}:?[0-9]{2}|Z)?$")
_AMOUNT = re.compile(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?")


@dataclass(frozen=True)
class StatementRow:
    line: int
    booked_on: date
    amount: Decimal
    description: str
    counterparty: str
    reference: str
    category: str
    category_guessed: bool


@dataclass(frozen=True)
class SettlementRow:
    line: int
    channel: str  # channel code as written ("" when the import's channel applies)
    order_external_id: str
    amount: Decimal
    settled_on: date
    reference: str


# --- values -------------------------------------------------------------------------------------------------


def csv_text_decode(data: bytes) -> str:
    """UTF-8 (with or without Excel's BOM), else GB18030 (a superset of GBK: Excel's "CSV" on Chinese
    Windows). Raises UnicodeDecodeError when it is neither."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def parse_date(text: str) -> date | None:
    """2026-03-05, 2026/3/5, 2026.3.5, 2026年3月5日, 20260305, with an optional time after it."""
    value = _TIME_TAIL.sub("", (text or "").strip())
    match = _DATE.fullmatch(value) or _DATE_COMPACT.fullmatch(value)
    if not match:
        return None
    try:
        return date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return None


def parse_amount(text: str) -> Decimal | None:
    """A signed amount as banks write it: `-1,234.50`, `¥1234.5`, `(1,234.50)` (negative), `1234.50元`,
    full-width minus. None when it is not an amount (or has more than two decimals)."""
    value = (text or "").strip().replace("\u2212", "-").replace("－", "-").replace("＋", "+")
    for token in ("¥", "￥", "CNY", "RMB", "元", " "):
        value = value.replace(token, "")
    negative = False
    if value.startswith("(") and value.endswith(")"):
        negative, value = True, value[1:-1]
    if not _AMOUNT.fullmatch(value):
        return None
    try:
        amount = Decimal(value.replace(",", ""))
    except InvalidOperation:
        return None
    if amount != amount.quantize(Decimal("0.01")) or abs(amount) >= Decimal("1e12"):
        return None
    amount = to_money(amount)
    return -amount if negative else amount


def category_parse(text: str) -> str | None:
    """A category given by its code, its English label or a Chinese name; None when unknown."""
    value = (text or "").strip()
    if not value:
        return None
    lowered = value.lower()
    for code, label in CashCategory.choices:
        if lowered in (code, str(label).lower()):
            return code
    for code, aliases in CATEGORY_ALIASES.items():
        if value in aliases:
            return str(code)
    return None


def category_guess(
    *,
    amount: Decimal,
    description: str,
    counterparty: str,
    supplier_names: frozenset[str] | set[str] = frozenset(),
) -> str:
    """The category of a statement row without one: a supplier as counterparty, else the first keyword
    rule matching the description or counterparty, else other (other income when money came in)."""
    if counterparty and counterparty.strip() in supplier_names:
        return str(CashCategory.SUPPLIER)
    text = f"{description} {counterparty}"
    for category, pattern in _RULES:
        if pattern.search(text):
            return str(category)
    return str(CashCategory.OTHER_INCOME if amount > 0 else CashCategory.OTHER)


def _limited(text: str, limit: int) -> str | None:
    return text if len(text) <= limit else None


def _header_columns(text: str, headers: dict) -> set[str]:
    try:
        first = next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error:
        return set()
    columns, _errors = csv_header_map(first, headers=headers, required=())
    return {column for column in columns if column}


def _too_long(line: int, column: str, limit: int) -> RowError:
    return RowError(line, column, _("At most %(count)s characters.") % {"count": limit})


def _too_many(line: int) -> RowError:
    return RowError(line, "", _("The file has more than %(count)s rows: split it.") % {"count": MAX_ROWS})


# --- bank statements ----------------------------------------------------------------------------------------


def statement_parse(
    text: str, *, supplier_names: frozenset[str] | set[str] = frozenset()
) -> tuple[list[StatementRow], list[RowError]]:
    """The rows of a bank statement and what is wrong with them, line by line."""
    rows: list[StatementRow] = []
    errors: list[RowError] = []
    present = _header_columns(text, _STATEMENT_HEADERS)
    if present and not ({"amount", "debit", "credit"} & present):
        errors.append(
            RowError(1, "amount", _("The header must name an amount column, or debit and credit columns."))
        )
    has_amount = "amount" in present
    seen = 0
    for item in csv_rows(text, headers=_STATEMENT_HEADERS, required=STATEMENT_REQUIRED):
        if isinstance(item, RowError):
            errors.append(item)
            continue
        if any(error.line == 1 for error in errors):
            break
        line, raw = item
        seen += 1
        if seen > MAX_ROWS:
            errors.append(_too_many(line))
            break
        row_errors: list[RowError] = []
        booked_on = parse_date(raw.get("date", ""))
        if not raw.get("date"):
            row_errors.append(RowError(line, "date", _("Required.")))
        elif booked_on is None:
            row_errors.append(
                RowError(
                    line, "date", _("Not a date such as 2026-03-05: %(value)s") % {"value": raw["date"][:40]}
                )
            )
        amount = None
        if raw.get("amount"):
            amount = parse_amount(raw["amount"])
            if amount is None:
                row_errors.append(
                    RowError(
                        line, "amount", _("Not an amount of money: %(value)s") % {"value": raw["amount"][:40]}
                    )
                )
        elif raw.get("debit") or raw.get("credit"):
            debit = parse_amount(raw.get("debit") or "0")
            credit = parse_amount(raw.get("credit") or "0")
            for column, value in (("debit", debit), ("credit", credit)):
                if value is None:
                    row_errors.append(
                        RowError(
                            line, column, _("Not an amount of money: %(value)s") % {"value": raw[column][:40]}
                        )
                    )
            if debit is not None and credit is not None:
                amount = abs(credit) - abs(debit)
        else:
            column = "amount" if has_amount else "debit"
            row_errors.append(RowError(line, column, _("Required: the amount, or a debit or a credit.")))
        if amount is not None and not amount:
            row_errors.append(RowError(line, "amount", _("The amount must not be zero.")))
        description = raw.get("description", "")
        counterparty = raw.get("counterparty", "")
        reference = raw.get("reference", "")
        for column, value, limit in (
            ("description", description, 300),
            ("counterparty", counterparty, 200),
            ("reference", reference, 100),
        ):
            if _limited(value, limit) is None:
                row_errors.append(_too_long(line, column, limit))
        category = None
        if raw.get("category"):
            category = category_parse(raw["category"])
            if category is None:
                row_errors.append(
                    RowError(
                        line,
                        "category",
                        _("Unknown category %(value)s: use %(choices)s.")
                        % {"value": raw["category"][:40], "choices": ", ".join(CashCategory.values)},
                    )
                )
        if row_errors:
            errors.extend(row_errors)
            continue
        guessed = category is None
        if guessed:
            category = category_guess(
                amount=amount,
                description=description,
                counterparty=counterparty,
                supplier_names=supplier_names,
            )
        rows.append(
            StatementRow(
                line=line,
                booked_on=booked_on,
                amount=amount,
                description=description,
                counterparty=counterparty,
                reference=reference,
                category=category,
                category_guessed=guessed,
            )
        )
    return rows, errors


# --- settlement reports -------------------------------------------------------------------------------------


def settlement_parse(text: str, *, channel_given: bool) -> tuple[list[SettlementRow], list[RowError]]:
    """The lines of a settlement report and what is wrong with them. Without `channel_given` (a channel
    chosen for the whole file) each row must name its channel code."""
    rows: list[SettlementRow] = []
    errors: list[RowError] = []
    seen = 0
    for item in csv_rows(text, headers=_SETTLEMENT_HEADERS, required=SETTLEMENT_REQUIRED):
        if isinstance(item, RowError):
            errors.append(item)
            continue
        line, raw = item
        seen += 1
        if seen > MAX_ROWS:
            errors.append(_too_many(line))
            break
        row_errors: list[RowError] = []
        for column in SETTLEMENT_REQUIRED:
            if not raw.get(column):
                row_errors.append(RowError(line, column, _("Required.")))
        channel = raw.get("channel", "").lower()
        if not channel and not channel_given:
            row_errors.append(
                RowError(line, "channel", _("Required: choose a channel or name it on each row."))
            )
        amount = parse_amount(raw["amount"]) if raw.get("amount") else None
        if raw.get("amount") and amount is None:
            row_errors.append(
                RowError(
                    line, "amount", _("Not an amount of money: %(value)s") % {"value": raw["amount"][:40]}
                )
            )
        elif amount is not None and not amount:
            row_errors.append(RowError(line, "amount", _("The amount must not be zero.")))
        settled_on = parse_date(raw.get("settled_on", "")) if raw.get("settled_on") else None
        if raw.get("settled_on") and settled_on is None:
            row_errors.append(
                RowError(
                    line,
                    "settled_on",
                    _("Not a date such as 2026-03-05: %(value)s") % {"value": raw["settled_on"][:40]},
                )
            )
        for column, limit in (("order_id", 100), ("reference", 100), ("channel", 30)):
            if _limited(raw.get(column, ""), limit) is None:
                row_errors.append(_too_long(line, column, limit))
        if row_errors:
            errors.extend(row_errors)
            continue
        rows.append(
            SettlementRow(
                line=line,
                channel=channel,
                order_external_id=raw["order_id"],
                amount=amount,
                settled_on=settled_on,
                reference=raw["reference"],
            )
        )
    return rows, errors
