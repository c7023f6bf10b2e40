"""Rows the satisfaction, overview and customer-360 tests build directly (the other subdomains' services
are not needed to set them up)."""

import secrets
from datetime import timedelta

import factory
from django.utils import timezone

from service.models import Survey, Team, Ticket, TicketSLA


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"team{n}")
    name = factory.Sequence(lambda n: f"Team {n}")


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    number = factory.Sequence(lambda n: f"T-{n + 1:06d}")
    subject = "Where is my parcel?"
    channel = Ticket.Channel.CHAT
    type = Ticket.Type.ORDER_ISSUE
    opened_at = factory.LazyFunction(timezone.now)


class TicketSLAFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketSLA

    ticket = factory.SubFactory(TicketFactory)
    metric = "first_response"
    target_minutes = 60
    calendar = "calendar"


class SurveyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Survey

    kind = Survey.Kind.NPS
    token = factory.LazyFunction(lambda: secrets.token_urlsafe(24))
    created_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda o: o.created_at + timedelta(days=14))
