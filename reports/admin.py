from django.contrib import admin
from unfold.admin import ModelAdmin

from reports.models import ManagerReport, ReportSettings, ReportSubscription


@admin.register(ReportSettings)
class ReportSettingsAdmin(ModelAdmin):
    list_display = ["anomaly_tolerance", "baseline_weeks", "updated_at"]


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(ModelAdmin):
    list_display = ["user", "kind", "created_at"]
    list_filter = ["kind"]


@admin.register(ManagerReport)
class ManagerReportAdmin(ModelAdmin):
    list_display = ["kind", "period_start", "period_end", "generated_at", "generations", "emailed_at"]
    list_filter = ["kind"]
    readonly_fields = ["content"]
