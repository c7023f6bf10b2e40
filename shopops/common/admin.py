from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, User
from unfold.admin import ModelAdmin

from shopops.common.models import JobRun

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
