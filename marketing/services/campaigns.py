"""Writes of campaigns: the festival calendar, the shop's own events and ad campaigns, checklists."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from marketing import calendar
from marketing.models import Campaign

EDIT_PERMISSION = "marketing.change_campaign"

CAMPAIGN_FIELDS = (
    "code",
    "name",
    "kind",
    "channel",
    "starts_on",
    "ends_on",
    "planning_lead_days",
    "budget",
    "other_cost",
    "expected_lift",
    "sku_ids",
    "notes",
)


@transaction.atomic
def festival_calendar_ensure(year: int) -> dict[str, int]:
    """Create the festival campaigns of `year` (marketing.calendar.festivals: 年货节, 618, Double 11,
    Double 12) with their planning lead time and the default checklist. Idempotent: a festival whose code
    exists already is left as it is (its dates, budget and ticked items may have been edited).
    Returns {"created": n, "existing": m}."""
    wanted = calendar.festivals(year)
    existing = set(Campaign.objects.filter(code__in=[f.code for f in wanted]).values_list("code", flat=True))
    created = 0
    for fest in wanted:
        if fest.code in existing:
            continue
        _obj, made = Campaign.objects.get_or_create(
            code=fest.code,
            defaults={
                "name": f"{fest.name} {fest.code.split('-')[-1]}",
                "kind": Campaign.Kind.FESTIVAL,
                "starts_on": fest.starts_on,
                "ends_on": fest.ends_on,
                "planning_lead_days": fest.planning_lead_days,
                "checklist": calendar.default_checklist(),
            },
        )
        created += made
    return {"created": created, "existing": len(wanted) - created}


def _check_dates(starts_on: date, ends_on: date) -> None:
    if ends_on < starts_on:
        raise ValidationError({"ends_on": [_("The campaign cannot end before it starts.")]})


@transaction.atomic
def campaign_create(*, data: dict) -> Campaign:
    """A new campaign from cleaned data (the form's cleaned_data: CAMPAIGN_FIELDS). Festivals and shop
    events without a checklist get the default one."""
    values = {k: data[k] for k in CAMPAIGN_FIELDS if k in data}
    _check_dates(values["starts_on"], values["ends_on"])
    if Campaign.objects.filter(code=values["code"]).exists():
        raise ValidationError({"code": [_("A campaign with this code exists already.")]})
    checklist = data.get("checklist")
    if checklist is None and values["kind"] in (Campaign.Kind.FESTIVAL, Campaign.Kind.SHOP_EVENT):
        checklist = calendar.default_checklist()
    return Campaign.objects.create(**values, checklist=checklist or [])


@transaction.atomic
def campaign_update(*, campaign: Campaign, data: dict) -> Campaign:
    """Change a campaign from cleaned data; the code stays, the checklist is changed by the checklist
    services."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    for key in CAMPAIGN_FIELDS:
        if key in data and key != "code":
            setattr(campaign, key, data[key])
    _check_dates(campaign.starts_on, campaign.ends_on)
    campaign.save()
    return campaign


@transaction.atomic
def campaign_checklist_tick(*, campaign: Campaign, index: int, done: bool) -> Campaign:
    """Tick (or untick) item `index` of the checklist. The row is locked so that two people ticking
    different items at once keep both ticks."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    items = list(campaign.checklist or [])
    if not 0 <= index < len(items) or not isinstance(items[index], dict):
        raise ValidationError({"index": [_("No such checklist item.")]})
    items[index] = {**items[index], "done": bool(done)}
    campaign.checklist = items
    campaign.save(update_fields=["checklist", "updated_at"])
    return campaign


@transaction.atomic
def campaign_checklist_add(*, campaign: Campaign, item: str, owner: str = "") -> Campaign:
    """Append an item of the shop's own to the checklist."""
    item = (item or "").strip()
    if not item:
        raise ValidationError({"item": [_("Write what must be done.")]})
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    campaign.checklist = [*(campaign.checklist or []), {"item": item[:200], "owner": owner, "done": False}]
    campaign.save(update_fields=["checklist", "updated_at"])
    return campaign
