"""The demo's personal data is encrypted at rest: a pg_dump of a seeded demo database holds none of the
customers' phone numbers or emails, which the application still reads in clear (PostgreSQL only)."""

import shutil
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from conftest import pg_dump_text, require
from orders.models import Customer


@pytest.mark.django_db(transaction=True)
def test_pg_dump_of_the_seeded_demo_holds_no_phone_number_or_email():
    require(connection.vendor == "postgresql", "pg_dump needs PostgreSQL: set DATABASE_URL")
    require(shutil.which("pg_dump") is not None, "pg_dump is not installed")
    call_command(
        "seed_demo",
        "--scale",
        "tiny",
        "--seed",
        "7",
        "--end-date",
        date(2025, 12, 31).isoformat(),
        stdout=StringIO(),
    )
    customers = list(Customer.objects.values_list("external_id", "phone", "email"))
    phones = [phone for _external_id, phone, _email in customers if phone]
    emails = [email for _external_id, _phone, email in customers if email]
    assert len(phones) == len(customers) > 100 and emails  # read back in clear
    assert all(len(phone) == 11 and phone.isdigit() for phone in phones)
    dump = pg_dump_text("--data-only", timeout=300)
    assert customers[0][0] in dump  # the customers are in the dump…
    leaked = [phone for phone in phones if phone in dump] + [email for email in emails if email in dump]
    assert leaked == []  # … but not their phones or emails
