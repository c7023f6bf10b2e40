"""The festival calendar, as pure functions over dates (no database).

No lunar-calendar library is installed (neither `chinese-calendar` nor `lunardate`), so the Spring
Festival (lunar new year) comes from a table of dates, 2015-2040 (the same table inventory's forecast
uses). The festivals of a year:

- 年货节 New Year goods festival: the 30 days before the Spring Festival up to a week before it (parcels
  must arrive before the holiday): SF - 30 .. SF - 8. Planned 45 days ahead.
- 618: 1-18 June (JD's anniversary sale, the whole market joins). Planned 45 days ahead.
- Double 11 (双11): pre-sale from 20 October to the 11th of November. Planned 60 days ahead.
- Double 12 (双12): 8-12 December. Planned 30 days ahead.

Every festival gets the same default checklist (`DEFAULT_CHECKLIST`): items are stored with a `key` so
that pages can show them translated.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext_lazy as _

SPRING_FESTIVAL = {
    2015: date(2015, 2, 19), 2016: date(2016, 2, 8), 2017: date(2017, 1, 28), 2018: date(2018, 2, 16),
    2019: date(2019, 2, 5), 2020: date(2020, 1, 25), 2021: date(2021, 2, 12), 2022: date(2022, 2, 1),
    2023: date(2023, 1, 22), 2024: date(2024, 2, 10), 2025: date(2025, 1, 29), 2026: date(2026, 2, 17),
    2027: date(2027, 2, 6), 2028: date(2028, 1, 26), 2029: date(2029, 2, 13), 2030: date(2030, 2, 3),
    2031: date(2031, 1, 23), 2032: date(2032, 2, 11), 2033: date(2033, 1, 31), 2034: date(2034, 2, 19),
    2035: date(2035, 2, 8), 2036: date(2036, 1, 28), 2037: date(2037, 2, 15), 2038: date(2038, 2, 4),
    2039: date(2039, 1, 24), 2040: date(2040, 2, 12),
}  # fmt: skip

# key -> (label shown on pages, owner role)
CHECKLIST_ITEMS = {
    "budget": (_("Set the budget and the sales target"), "marketing"),
    "promotions": (_("Set up the promotions and coupons (check margin floors)"), "marketing"),
    "stock": (_("Check stock of the promoted SKUs and order ahead"), "inventory_planner"),
    "creative": (_("Prepare the campaign pages and ad material"), "marketing"),
    "ads": (_("Book the ads and set the daily budgets"), "marketing"),
    "service": (_("Brief customer service and prepare the FAQ"), "service_agent"),
    "logistics": (_("Confirm warehouse staffing and courier capacity"), "operations"),
    "review": (_("Review the results after the campaign"), "marketing"),
}
DEFAULT_CHECKLIST = tuple(CHECKLIST_ITEMS)


@dataclass(frozen=True)
class Festival:
    key: str  # stable part of the campaign code: "618", "D11", "D12", "NYGF"
    name: str  # as the market writes it (data, not UI text)
    starts_on: date
    ends_on: date
    planning_lead_days: int

    @property
    def code(self) -> str:
        return f"{self.key}-{self.starts_on.year if self.key != 'NYGF' else self.ends_on.year}"


def festivals(year: int) -> list[Festival]:
    """The festivals of `year`, in date order. The 年货节 is missing when the year's Spring Festival is not in
    the table (outside 2015-2040)."""
    out = []
    spring = SPRING_FESTIVAL.get(year)
    if spring is not None:
        out.append(
            Festival(
                "NYGF",
                "年货节 New Year goods festival",
                spring - timedelta(days=30),
                spring - timedelta(days=8),
                45,
            )  # fmt: skip
        )
    out.append(Festival("618", "618 年中大促", date(year, 6, 1), date(year, 6, 18), 45))
    out.append(Festival("D11", "双11 Double 11", date(year, 10, 20), date(year, 11, 11), 60))
    out.append(Festival("D12", "双12 Double 12", date(year, 12, 8), date(year, 12, 12), 30))
    return out


def default_checklist() -> list[dict]:
    """A fresh checklist: [{"key", "item" (English, for exports), "owner" (a role), "done": False}]."""
    return [
        {"key": key, "item": str(label), "owner": owner, "done": False}
        for key, (label, owner) in CHECKLIST_ITEMS.items()
    ]


def checklist_label(item: dict) -> str:
    """The label to show for a checklist item: the translated text of a known key, else its own text."""
    known = CHECKLIST_ITEMS.get(item.get("key") or "")
    return str(known[0]) if known else str(item.get("item") or "")
