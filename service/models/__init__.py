"""Customer-service models, one module per subdomain: tickets and SLAs, knowledge base, feedback,
returns, compensation, surveys."""

from service.models.compensation import Compensation, CompensationLimit, CompensationRule
from service.models.feedback import ComplaintKeyword, ComplaintKeywordSKU, Feedback
from service.models.knowledge import Article, ArticleCategory, ArticleQuestion, ArticleUse
from service.models.returns import ReturnLine, ReturnRequest
from service.models.surveys import Survey
from service.models.tickets import (
    Escalation,
    ServiceSettings,
    SLAPolicy,
    Tag,
    Team,
    Ticket,
    TicketEvent,
    TicketMessage,
    TicketSLA,
)

__all__ = [
    "Article",
    "ArticleCategory",
    "ArticleQuestion",
    "ArticleUse",
    "Compensation",
    "CompensationLimit",
    "CompensationRule",
    "ComplaintKeyword",
    "ComplaintKeywordSKU",
    "Escalation",
    "Feedback",
    "ReturnLine",
    "ReturnRequest",
    "SLAPolicy",
    "ServiceSettings",
    "Survey",
    "Tag",
    "Team",
    "Ticket",
    "TicketEvent",
    "TicketMessage",
    "TicketSLA",
]
