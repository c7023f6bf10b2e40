"""Ticket forms: an agent opens a ticket (a phone call, an email), replies or writes a note, and changes
status, priority, type, team, assignee and tags. Forms check shape; the ticket services validate the rest."""

from django import forms
from django.utils.translation import gettext_lazy as _

from service.models import Team, Ticket, TicketMessage
from service.selectors import tickets as selectors
from shopops.common import roles
from shopops.common.notifications import users_with_roles

AGENT_ROLES = (roles.SERVICE_AGENT, roles.MANAGER, roles.ADMIN)
SMALL = {"class": "form-control form-control-sm"}
SELECT = {"class": "form-select form-select-sm"}


def agents():
    """The people a ticket can be assigned to."""
    return users_with_roles(AGENT_ROLES).order_by("username")


class AgentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


def tags_initial(ticket: Ticket) -> str:
    return ", ".join(tag.name for tag in ticket.tags.all())


class TicketCreateForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=Ticket.Channel.choices,
        initial=Ticket.Channel.PHONE,
        widget=forms.Select(SELECT),
    )
    type = forms.ChoiceField(label=_("Type"), choices=Ticket.Type.choices, widget=forms.Select(SELECT))
    priority = forms.ChoiceField(
        label=_("Priority"),
        choices=Ticket.Priority.choices,
        initial=Ticket.Priority.NORMAL,
        widget=forms.Select(SELECT),
    )
    subject = forms.CharField(
        label=_("Subject"), max_length=200, required=False, widget=forms.TextInput(SMALL)
    )
    body = forms.CharField(
        label=_("What the customer said"),
        required=False,
        widget=forms.Textarea({**SMALL, "rows": 5}),
        help_text=_("Becomes the ticket's first customer message. The subject defaults to its first line."),
    )
    author_name = forms.CharField(
        label=_("Customer's name"), max_length=200, required=False, widget=forms.TextInput(SMALL)
    )
    store = forms.ChoiceField(
        label=_("Store"),
        required=False,
        widget=forms.Select(SELECT),
        help_text=_("The store the customer and the order belong to."),
    )
    customer_ref = forms.CharField(
        label=_("Customer id at the store"), max_length=100, required=False, widget=forms.TextInput(SMALL)
    )
    order_ref = forms.CharField(
        label=_("Order number at the store"), max_length=100, required=False, widget=forms.TextInput(SMALL)
    )
    sku = forms.CharField(label=_("SKU code"), max_length=64, required=False, widget=forms.TextInput(SMALL))
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.all(), required=False, widget=forms.Select(SELECT)
    )
    assignee = AgentChoiceField(
        label=_("Assignee"), queryset=None, required=False, widget=forms.Select(SELECT)
    )
    tags = forms.CharField(
        label=_("Tags"),
        max_length=500,
        required=False,
        widget=forms.TextInput(SMALL),
        help_text=_("Comma-separated."),
    )

    def __init__(self, *args, channels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = agents()
        self.fields["store"].choices = [("", "—"), *((c.code, c.name) for c in channels)]

    def clean(self):
        data = super().clean()
        if not (data.get("subject") or "").strip() and not (data.get("body") or "").strip():
            self.add_error("subject", _("Give a subject or what the customer said."))
        store = data.get("store")
        data["customer"] = data["order"] = data["sku_obj"] = data["sales_channel"] = None
        if (data.get("customer_ref") or data.get("order_ref")) and not store:
            self.add_error("store", _("Choose the store of the customer or order."))
        if store:
            data["sales_channel"] = selectors.sales_channel_by_code(code=store)
        if store and data.get("customer_ref"):
            data["customer"] = selectors.customer_by_external(
                channel=store, external_id=data["customer_ref"].strip()
            )
            if data["customer"] is None:
                self.add_error("customer_ref", _("No customer with this id at this store."))
        if store and data.get("order_ref"):
            data["order"] = selectors.order_by_external(channel=store, external_id=data["order_ref"].strip())
            if data["order"] is None:
                self.add_error("order_ref", _("No order with this number at this store."))
        if data.get("sku"):
            data["sku_obj"] = selectors.sku_by_code(code=data["sku"].strip())
            if data["sku_obj"] is None:
                self.add_error("sku", _("Unknown SKU code."))
        return data


class TicketReplyForm(forms.Form):
    KIND_CHOICES = [
        (TicketMessage.Kind.REPLY, _("Public reply")),
        (TicketMessage.Kind.NOTE, _("Internal note")),
    ]
    THEN_CHOICES = [
        ("", _("keep the status")),
        (Ticket.Status.WAITING_CUSTOMER, _("then wait on the customer")),
        (Ticket.Status.WAITING_THIRD_PARTY, _("then wait on a third party")),
        (Ticket.Status.RESOLVED, _("then resolve")),
    ]

    kind = forms.ChoiceField(
        label=_("Kind"), choices=KIND_CHOICES, initial=TicketMessage.Kind.REPLY, widget=forms.RadioSelect
    )
    body = forms.CharField(
        label=_("Message"),
        max_length=20_000,
        widget=forms.Textarea({"class": "form-control", "rows": 5, "accesskey": "r"}),
    )
    then_status = forms.ChoiceField(
        label=_("After sending"), choices=THEN_CHOICES, required=False, widget=forms.Select(SELECT)
    )


class TicketUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Ticket.Status.choices, widget=forms.Select(SELECT))
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Ticket.Priority.choices, widget=forms.Select(SELECT)
    )
    type = forms.ChoiceField(label=_("Type"), choices=Ticket.Type.choices, widget=forms.Select(SELECT))
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.all(), required=False, widget=forms.Select(SELECT)
    )
    assignee = AgentChoiceField(
        label=_("Assignee"), queryset=None, required=False, widget=forms.Select(SELECT)
    )
    tags = forms.CharField(
        label=_("Tags"),
        max_length=500,
        required=False,
        widget=forms.TextInput(SMALL),
        help_text=_("Comma-separated."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = agents()

    @classmethod
    def for_ticket(cls, ticket: Ticket, data=None):
        return cls(
            data,
            initial={
                "status": ticket.status,
                "priority": ticket.priority,
                "type": ticket.type,
                "team": ticket.team_id,
                "assignee": ticket.assignee_id,
                "tags": tags_initial(ticket),
            },
        )
