"""Service data maintenance in the admin (themed, admins only). Daily work happens on the service pages.

Reference data is editable here (teams, tags, SLA policies, settings, knowledge-base categories, the
compensation standard and limits). What the services keep consistent — tickets and their history, SLA
clocks, escalations, feedback scores, returns, compensation, surveys and the keyword rollups — is
read-only: changing it here would bypass the SLA clocks, the stock ledger and the approval limits.
"""

from django.contrib import admin
from unfold.admin import ModelAdmin, TabularInline

from service.models import (
    Article,
    ArticleCategory,
    ArticleQuestion,
    ArticleUse,
    Compensation,
    CompensationLimit,
    CompensationRule,
    ComplaintKeyword,
    Escalation,
    Feedback,
    ReturnRequest,
    ServiceSettings,
    SLAPolicy,
    Survey,
    Tag,
    Team,
    Ticket,
    TicketSLA,
)
from shopops.common.admin import ReadOnlyAdmin


@admin.register(ServiceSettings)
class ServiceSettingsAdmin(ModelAdmin):
    def has_add_permission(self, request):
        return not ServiceSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Team)
class TeamAdmin(ModelAdmin):
    list_display = ["code", "name"]
    filter_horizontal = ["members"]


@admin.register(Tag)
class TagAdmin(ModelAdmin):
    search_fields = ["name"]


@admin.register(SLAPolicy)
class SLAPolicyAdmin(ModelAdmin):
    list_display = ["name", "metric", "channel", "type", "priority", "target_minutes", "calendar", "active"]
    list_filter = ["metric", "calendar", "active"]


@admin.register(ArticleCategory)
class ArticleCategoryAdmin(ModelAdmin):
    list_display = ["code", "name"]


class ArticleQuestionInline(TabularInline):
    model = ArticleQuestion
    extra = 1


@admin.register(Article)
class ArticleAdmin(ModelAdmin):
    list_display = ["code", "title_zh", "category", "owner", "active", "use_count"]
    list_filter = ["category", "active"]
    search_fields = ["code", "title_zh", "title_en"]
    readonly_fields = ["use_count"]
    inlines = [ArticleQuestionInline]


@admin.register(CompensationRule)
class CompensationRuleAdmin(ModelAdmin):
    list_display = ["problem", "severity", "remedy", "amount", "active"]
    list_filter = ["problem", "remedy", "active"]


@admin.register(CompensationLimit)
class CompensationLimitAdmin(ModelAdmin):
    list_display = ["role", "max_amount"]


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ["number", "subject", "channel", "type", "priority", "status", "assignee", "opened_at"]
    list_filter = ["status", "priority", "type", "channel"]
    search_fields = ["number", "subject", "external_id"]


@admin.register(TicketSLA)
class TicketSLAAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "metric", "state", "due_at", "breached", "warned_at"]
    list_filter = ["metric", "state", "breached"]


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "reason", "raised_at", "filed_by", "filed_at"]


@admin.register(ArticleUse)
class ArticleUseAdmin(ReadOnlyAdmin):
    list_display = ["article", "ticket", "kind", "score", "used_at"]
    list_filter = ["kind"]


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdmin):
    list_display = ["source", "channel", "sku", "rating", "sentiment", "urgency", "occurred_at"]
    list_filter = ["source", "urgency"]
    search_fields = ["text", "external_id"]


@admin.register(ComplaintKeyword)
class ComplaintKeywordAdmin(ReadOnlyAdmin):
    list_display = ["month", "rank", "keyword", "mentions", "weight"]


@admin.register(ReturnRequest)
class ReturnRequestAdmin(ReadOnlyAdmin):
    list_display = ["number", "order", "status", "reason", "requested_at", "refund_amount", "refunded_at"]
    list_filter = ["status", "reason"]
    search_fields = ["number"]


@admin.register(Compensation)
class CompensationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "problem", "severity", "remedy", "amount", "status", "ticket", "order"]
    list_filter = ["status", "remedy", "problem"]


@admin.register(Survey)
class SurveyAdmin(ReadOnlyAdmin):
    list_display = ["kind", "channel", "created_at", "answered_at", "score"]
    list_filter = ["kind"]
