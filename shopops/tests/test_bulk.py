from datetime import UTC, datetime
from decimal import Decimal

import pytest

from orders.models import Customer
from orders.tests.factories import ChannelFactory
from shopops.common.bulk import rows_insert, rows_insert_with_ids, rows_update

NASTY = ['王芳 "小芳"', "back\\slash", "comma, {brace}", "", "NULL", "tab\tand\nnewline"]


@pytest.mark.django_db
def test_rows_round_trip_whatever_the_text():
    channel = ChannelFactory()
    now = datetime(2026, 6, 18, 2, 21, 0, 123456, tzinfo=UTC)
    fields = [
        "channel",
        "external_id",
        "name",
        "phone",
        "email",
        "province",
        "first_order_at",
        "created_at",
        "updated_at",
    ]
    rows = [
        (channel.pk, f"C{i}", name, "138", "", "上海", None if i % 2 else now, now, now)
        for i, name in enumerate(NASTY)
    ]
    ids = rows_insert_with_ids(Customer, fields, rows)
    stored = {c.pk: c for c in Customer.objects.all()}
    assert [stored[pk].name for pk in ids] == NASTY
    assert stored[ids[0]].first_order_at == now and stored[ids[1]].first_order_at is None
    rows_update(Customer, ["name", "province"], [(ids[0], 'new "name"', "北京")])
    assert Customer.objects.filter(pk=ids[0]).values_list("name", "province").get() == ('new "name"', "北京")
    rows_insert(Customer, fields, [rows[0]], ignore_conflicts=True)  # same (channel, external_id): skipped
    assert Customer.objects.count() == len(NASTY)


def test_decimal_values_keep_their_cents():
    from shopops.common.bulk import array_literal

    assert array_literal([Decimal("1.10"), None, 3, True]) == "{1.10,NULL,3,t}"
