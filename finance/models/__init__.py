"""Finance models, one module per subdomain: cash and commitments, the forecast, alerts, order risk and
the budget."""

from finance.models.alerts import (
    Alert,
    AlertAction,
    AlertThreshold,
    Level,
    Metric,
    PlaybookStep,
    WebhookDelivery,
)
from finance.models.budget import Budget, CostLine
from finance.models.cash import (
    CashAccount,
    CashCategory,
    CashTransaction,
    Commitment,
    FinanceSettings,
    Settlement,
    SupplierPayment,
)
from finance.models.forecast import (
    ForecastItem,
    ForecastRun,
    ForecastWeek,
    Line,
    MetricSnapshot,
    Scenario,
    WeekActual,
)
from finance.models.risk import OrderRisk

__all__ = [
    "Alert",
    "AlertAction",
    "AlertThreshold",
    "Budget",
    "CashAccount",
    "CashCategory",
    "CashTransaction",
    "Commitment",
    "CostLine",
    "FinanceSettings",
    "ForecastItem",
    "ForecastRun",
    "ForecastWeek",
    "Level",
    "Line",
    "Metric",
    "MetricSnapshot",
    "OrderRisk",
    "PlaybookStep",
    "Scenario",
    "Settlement",
    "SupplierPayment",
    "WebhookDelivery",
    "WeekActual",
]
