from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, User
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey
from unfold.admin import ModelAdmin
from unfold.widgets import UnfoldAdminCheckboxSelectMultipleWidget

from shopops.common.api import parse_rate
from shopops.common.models import ApiClient, JobRun


class ReadOnlyAdmin(ModelAdmin):
    """Rows only the services write (they keep them consistent): admins may look, not add, change or
    delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(BaseUserAdmin, ModelAdmin):
    pass


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin, ModelAdmin):
    pass


@admin.register(JobRun)
class JobRunAdmin(ModelAdmin):
    list_display = ["job", "business_date", "status", "runs", "started_at", "finished_at"]
    list_filter = ["job", "status"]


def _admin_site_has_permission(request):
    """Staff users and members of the admin role may use the Django admin; nobody else."""
    from shopops.common import roles

    user = request.user
    return user.is_active and (user.is_staff or roles.ADMIN in roles.user_roles(user))


admin.site.has_permission = _admin_site_has_permission


# The library registers its own APIKey model, which the API does not accept: only ApiClient keys are.
if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)


class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"),
        choices=ApiClient.SCOPES,
        widget=UnfoldAdminCheckboxSelectMultipleWidget,
    )

    class Meta:
        model = ApiClient
        fields = ["name", "scopes", "rate_limit", "expiry_date", "revoked"]

    def clean_rate_limit(self):
        rate = self.cleaned_data["rate_limit"].strip()
        try:
            parse_rate(rate)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return rate


@admin.register(ApiClient)
class ApiClientAdmin(APIKeyModelAdmin, ModelAdmin):
    """API clients. The key is shown once, in a message after "Save"; only its hash is stored."""

    form = ApiClientForm
    fields = ["name", "scopes", "rate_limit", "expiry_date", "revoked", "prefix", "last_used_at", "created"]
    list_display = [
        "name",
        "prefix",
        "scopes_display",
        "rate_limit",
        "revoked",
        "expiry_date",
        "last_used_at",
        "created",
    ]
    list_filter = ["revoked", "expiry_date", "last_used_at", "created"]
    search_fields = ["name", "prefix"]

    @admin.display(description=_("scopes"))
    def scopes_display(self, obj):
        return ", ".join(obj.scopes or [])

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "last_used_at", "created")
