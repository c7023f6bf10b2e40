"""Money: Decimal only, rounded half-up to the cent, formatted with thousands separators."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

CURRENCY_SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$", "JPY": "¥", "GBP": "£"}


def to_money(value) -> Decimal:
    """Return `value` as a Decimal rounded half-up to the cent. Floats are refused: they are not money."""
    if isinstance(value, float):
        raise TypeError("Money must not be a float; pass a Decimal, int or string.")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"Not an amount of money: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"Not an amount of money: {value!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(value, currency: str = "CNY", *, symbol: bool = True) -> str:
    """Format an amount as `¥1,234,567.89` in every language.

    Django's zh_Hans number format has no thousands separator, so money is formatted here and not with
    the locale machinery.
    """
    if value is None or value == "":
        return "–"
    amount = to_money(value)
    text = f"{abs(amount):,.2f}"
    sign = "-" if amount < 0 else ""
    prefix = CURRENCY_SYMBOLS.get(currency, f"{currency} ") if symbol else ""
    return f"{sign}{prefix}{text}"


def percent_change(current: Decimal, previous: Decimal) -> Decimal | None:
    """Relative change as a Decimal fraction (0.1250 = +12.5 %), or None when there is no base."""
    if not previous:
        return None
    return ((Decimal(current) - Decimal(previous)) / Decimal(previous)).quantize(Decimal("0.0001"))
