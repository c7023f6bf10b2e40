"""Tickets, their messages and history, teams, SLA policies and each ticket's SLA clocks, escalations."""

from datetime import time
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shopops.common.models import TimeStampedModel


class ServiceSettings(models.Model):
    """The service area's numbers (domain defaults), one row (pk=1)."""

    business_start = models.TimeField(_("business hours start"), default=time(9, 0))
    business_end = models.TimeField(_("business hours end"), default=time(18, 0))
    warn_ratio = models.DecimalField(
        _("warn at share of target"), max_digits=5, decimal_places=4, default=Decimal("0.8000")
    )
    autoreply_margin = models.DecimalField(
        _("auto-reply margin"),
        max_digits=6,
        decimal_places=4,
        default=Decimal("0.3500"),
        help_text=_("Auto-reply when the best answer leads the second by at least this share of its score."),
    )
    autoreply_min_score = models.DecimalField(
        _("auto-reply minimum match"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.2000"),
        help_text=_(
            "A lone weak match leads an absent second by 100 %: below this score (0-1) no auto-reply."
        ),
    )
    negative_sentiment = models.DecimalField(
        _("negative sentiment below"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("-0.3000"),
        help_text=_("Sentiment scores run from -1 (very negative) to 1 (very positive)."),
    )
    ticket_sentiment = models.DecimalField(
        _("open a ticket for feedback below"), max_digits=5, decimal_places=4, default=Decimal("-0.6000")
    )
    return_days = models.PositiveIntegerField(_("no-reason return days"), default=7)
    refund_target_days = models.PositiveIntegerField(_("refund within days"), default=2)
    kb_coverage_target = models.DecimalField(
        _("knowledge-base coverage target"), max_digits=5, decimal_places=4, default=Decimal("0.6000")
    )
    nps_delay_min_days = models.PositiveIntegerField(_("NPS survey from day"), default=3)
    nps_delay_max_days = models.PositiveIntegerField(_("NPS survey until day"), default=7)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("service settings")
        verbose_name_plural = _("service settings")

    def __str__(self):
        return str(_("Service settings"))

    @classmethod
    def load(cls) -> "ServiceSettings":
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class Team(TimeStampedModel):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), blank=True, related_name="service_teams"
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Ticket(TimeStampedModel):
    class Channel(models.TextChoices):
        CHAT = "chat", _("Chat")
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("Email")
        MARKETPLACE = "marketplace", _("Marketplace message")
        REVIEW = "review", _("Review")
        SOCIAL = "social", _("Social media")

    class Type(models.TextChoices):
        PRESALE = "presale", _("Pre-sale question")
        ORDER_ISSUE = "order_issue", _("Order issue")
        AFTER_SALES = "after_sales", _("After-sales / return")
        COMPLAINT = "complaint", _("Complaint")

    class Priority(models.TextChoices):
        NORMAL = "normal", _("Normal")
        URGENT = "urgent", _("Urgent")
        MAJOR = "major", _("Major")

    class Status(models.TextChoices):
        NEW = "new", pgettext_lazy("ticket status", "New")
        OPEN = "open", pgettext_lazy("ticket status", "Open")
        WAITING_CUSTOMER = "waiting_customer", _("Waiting on customer")
        WAITING_THIRD_PARTY = "waiting_third_party", _("Waiting on third party")
        RESOLVED = "resolved", pgettext_lazy("ticket status", "Resolved")
        CLOSED = "closed", pgettext_lazy("ticket status", "Closed")

    class Source(models.TextChoices):
        AGENT = "agent", _("Agent")
        API = "api", _("API connector")
        FEEDBACK = "feedback", _("Negative feedback")
        RETURN = "return", _("Return request")
        SURVEY = "survey", _("Survey")

    OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING_CUSTOMER, Status.WAITING_THIRD_PARTY)

    number = models.CharField(_("number"), max_length=20, unique=True)
    subject = models.CharField(_("subject"), max_length=200)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.AGENT)
    sales_channel = models.ForeignKey(
        "orders.Channel",
        verbose_name=_("sales channel"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The store the customer wrote from (a marketplace message, a review)."),
    )
    external_id = models.CharField(
        _("external id"), max_length=100, blank=True, help_text=_("The connector's conversation id.")
    )
    customer = models.ForeignKey(
        "orders.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    sku = models.ForeignKey(
        "catalog.SKU",
        verbose_name=_("SKU"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="tickets")
    language = models.CharField(_("language"), max_length=10, blank=True)
    sentiment = models.DecimalField(
        _("sentiment"), max_digits=5, decimal_places=4, null=True, blank=True, help_text=_("-1 to 1.")
    )
    opened_at = models.DateTimeField(_("opened at"), help_text=_("When the customer first wrote."))
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    auto_replied = models.BooleanField(_("answered by auto-reply"), default=False)
    handed_over = models.BooleanField(
        _("handed over to a person"),
        default=False,
        help_text=_("The auto-reply stood back: the customer was upset."),
    )

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-opened_at", "-id"]
        permissions = [
            (
                "supervise_ticket",
                _("Supervise service: SLA policies, escalation reports, compensation above the limit"),
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~Q(external_id=""),
                name="ticket_channel_external_uniq",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "opened_at"], name="ticket_status_opened"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
        ]

    def __str__(self):
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class TicketMessage(models.Model):
    class Kind(models.TextChoices):
        CUSTOMER = "customer", _("Customer message")
        REPLY = "reply", _("Public reply")
        NOTE = "note", _("Internal note")
        AUTO_REPLY = "auto_reply", _("Auto-reply")

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="messages"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    body = models.TextField(_("message"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    author_name = models.CharField(_("author name"), max_length=200, blank=True)
    attachments = models.JSONField(
        _("attachments"),
        default=list,
        blank=True,
        help_text=_("Metadata only: name, size, content type, URL."),
    )
    article = models.ForeignKey(
        "service.Article",
        verbose_name=_("knowledge-base article"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    sentiment = models.DecimalField(_("sentiment"), max_digits=5, decimal_places=4, null=True, blank=True)
    created_at = models.DateTimeField(_("written at"))

    class Meta:
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "external_id"],
                condition=~Q(external_id=""),
                name="ticketmessage_external_uniq",
            ),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.kind}"


class TicketEvent(models.Model):
    """The ticket's history: status, priority, assignment and type changes. The SLA clocks are computed
    from it (waiting on the customer pauses them; a priority change moves their targets)."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        STATUS = "status", _("Status changed")
        PRIORITY = "priority", _("Priority changed")
        TYPE = "type", _("Type changed")
        ASSIGN = "assign", _("Assigned")
        SLA_WARNING = "sla_warning", _("SLA warning")
        SLA_BREACH = "sla_breach", _("SLA breached")
        ESCALATED = "escalated", _("Escalated")

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    from_value = models.CharField(_("from"), max_length=100, blank=True)
    to_value = models.CharField(_("to"), max_length=100, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True, on_delete=models.SET_NULL
    )
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.ticket_id} {self.kind} {self.to_value}"


class SLAPolicy(TimeStampedModel):
    """One response target. The most specific active policy matching a ticket applies per metric:
    channel, then type, then priority; a blank field matches anything."""

    class Metric(models.TextChoices):
        FIRST_RESPONSE = "first_response", _("First response")
        RESOLUTION = "resolution", _("Resolution")

    class Calendar(models.TextChoices):
        CALENDAR = "calendar", _("Calendar time (24/7)")
        BUSINESS = "business", _("Business hours on China working days")

    name = models.CharField(_("name"), max_length=100)
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Ticket.Channel.choices, blank=True)
    type = models.CharField(_("ticket type"), max_length=20, choices=Ticket.Type.choices, blank=True)
    priority = models.CharField(_("priority"), max_length=10, choices=Ticket.Priority.choices, blank=True)
    target_minutes = models.PositiveIntegerField(_("target (minutes)"))
    calendar = models.CharField(
        _("clock"), max_length=10, choices=Calendar.choices, default=Calendar.CALENDAR
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["metric", "target_minutes"]
        constraints = [models.CheckConstraint(condition=Q(target_minutes__gt=0), name="slapolicy_target_pos")]

    def __str__(self):
        return self.name


class TicketSLA(models.Model):
    """One SLA clock of one ticket (first response, resolution), kept current by the SLA service."""

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        MET = "met", _("Met")
        BREACHED = "breached", _("Breached")

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="slas"
    )
    metric = models.CharField(_("metric"), max_length=20, choices=SLAPolicy.Metric.choices)
    policy = models.ForeignKey(
        SLAPolicy,
        verbose_name=_("policy"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    target_minutes = models.PositiveIntegerField(_("target (minutes)"))
    calendar = models.CharField(_("clock"), max_length=10, choices=SLAPolicy.Calendar.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.RUNNING)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True, help_text=_("Empty while paused."))
    warn_at = models.DateTimeField(_("warn at"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("met at"), null=True, blank=True)
    breached = models.BooleanField(_("breached"), default=False)
    warned_at = models.DateTimeField(_("warning sent at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breach recorded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket SLA")
        verbose_name_plural = _("ticket SLAs")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "metric"], name="ticketsla_ticket_metric_uniq")
        ]
        indexes = [models.Index(fields=["state", "due_at"], name="ticketsla_state_due")]

    def __str__(self):
        return f"{self.ticket_id} {self.metric} {self.state}"


class Escalation(models.Model):
    """A breached major complaint escalated to management. The ticket cannot be closed until a manager
    files the written report."""

    ticket = models.OneToOneField(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="escalation"
    )
    reason = models.CharField(_("reason"), max_length=200)
    raised_at = models.DateTimeField(_("raised at"))
    cause = models.TextField(_("what happened and why"), blank=True)
    actions = models.TextField(_("what was done for the customer"), blank=True)
    prevention = models.TextField(_("what changes so it does not happen again"), blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    filed_at = models.DateTimeField(_("report filed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["-raised_at"]

    def __str__(self):
        return f"{self.ticket_id} {self.reason}"
