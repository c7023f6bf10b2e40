"""The domain's defaults for finance, as rows finance staff can edit: the settings row, the built-in
scenarios, the alert thresholds of each metric and level, and the playbook of each level.

Called by migration 0002, by the demo seed and by the test suite after a flush. Idempotent: only what is
missing (by its key) is created, so edited rows are kept."""

from decimal import Decimal

# code, name, sales multiplier, settlement delay days, purchases, expenses, ads, evaluate alerts
SCENARIOS = [
    ("base", "Base", "1.000", 0, "1.000", "1.000", "1.000", True),
    ("pessimistic", "Pessimistic", "0.800", 7, "1.000", "1.000", "1.000", True),
    ("optimistic", "Optimistic", "1.150", 0, "1.000", "1.000", "1.000", False),
]

# metric, below?, (watch, warning, critical)
THRESHOLDS = [
    ("runway", True, ("6", "4", "3")),  # months of cash at the trailing 8-week net burn
    (
        "lowest_balance",
        True,
        ("3", "1.5", "0.5"),
    ),  # lowest projected closing balance, in months of fixed costs
    ("overdue_receivables", False, ("0.05", "0.10", "0.20")),  # overdue share of receivables
    ("ccc_rise", False, ("5", "10", "20")),  # days the cash conversion cycle rose over 4 weeks
    (
        "margin_drop",
        False,
        ("0.02", "0.05", "0.08"),
    ),  # gross margin, 28 days vs the 28 before (fraction points)
    ("supplier_concentration", False, ("0.40", "0.55", "0.70")),  # one supplier's share of payables
]

# level, metric ("" = every metric), owner role, English, Chinese
PLAYBOOK = [
    (
        "watch",
        "",
        "finance",
        "Review the 13-week forecast with the owners of the largest outflows",
        "与最大支出项负责人一起复核13周现金流预测",
    ),
    (
        "watch",
        "",
        "marketing",
        "Cap the daily budget of ad campaigns with ROI below 2",
        "为ROI低于2的广告计划设置日预算上限",
    ),
    (
        "watch",
        "",
        "inventory_planner",
        "Check next month's purchase orders for non-core SKUs",
        "检查下月非核心SKU的采购单",
    ),
    (
        "watch",
        "overdue_receivables",
        "finance",
        "Chase settlements overdue by more than 7 days with the channels",
        "向渠道催收逾期超过7天的回款",
    ),
    (
        "watch",
        "supplier_concentration",
        "inventory_planner",
        "Split the next orders across qualified suppliers",
        "把后续订单分散到其他合格供应商",
    ),
    ("warning", "", "marketing", "Pause ad campaigns with ROI below 1.5", "暂停ROI低于1.5的广告计划"),
    (
        "warning",
        "",
        "inventory_planner",
        "Postpone non-core purchase orders by 2-4 weeks",
        "将非核心采购单推迟2-4周",
    ),
    ("warning", "", "operations", "Clear dead stock with a 20-30 % markdown", "对滞销库存打7-8折清仓"),
    (
        "warning",
        "",
        "finance",
        "Negotiate longer payment terms with the largest suppliers",
        "与最大的供应商协商延长账期",
    ),
    (
        "warning",
        "overdue_receivables",
        "finance",
        "Escalate overdue settlements to the channel account managers",
        "将逾期回款升级给渠道客户经理",
    ),
    (
        "warning",
        "margin_drop",
        "operations",
        "Review recent price changes and promotion depth on the top SKUs",
        "复核头部SKU近期的调价和促销力度",
    ),
    ("critical", "", "finance", "Draw the credit line", "动用银行授信额度"),
    (
        "critical",
        "",
        "manager",
        "Freeze non-essential spending and activate the emergency financing plan",
        "冻结非必要支出，启动应急融资计划",
    ),
    (
        "critical",
        "",
        "inventory_planner",
        "Cancel or postpone every non-core purchase order not yet sent",
        "取消或推迟所有尚未发出的非核心采购单",
    ),
    (
        "critical",
        "",
        "marketing",
        "Pause all ads except the proven campaigns; run a clearance sale of dead and overstock",
        "除已验证的计划外暂停所有广告；对滞销和积压库存做清仓促销",
    ),
    (
        "critical",
        "overdue_receivables",
        "finance",
        "Ask the channels for early settlement (payout advance)",
        "向渠道申请提前回款（回款加速）",
    ),
]


def finance_defaults_ensure(apps=None) -> None:
    """Create the settings row and every default scenario, threshold and playbook step that is missing."""
    if apps is None:
        from django.apps import apps
    FinanceSettings = apps.get_model("finance", "FinanceSettings")
    Scenario = apps.get_model("finance", "Scenario")
    AlertThreshold = apps.get_model("finance", "AlertThreshold")
    PlaybookStep = apps.get_model("finance", "PlaybookStep")
    FinanceSettings.objects.get_or_create(pk=1)
    for code, name, sales, delay, purchases, expenses, ads, alerts in SCENARIOS:
        Scenario.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "sales_multiplier": Decimal(sales),
                "settlement_delay_days": delay,
                "purchase_multiplier": Decimal(purchases),
                "expense_multiplier": Decimal(expenses),
                "ads_multiplier": Decimal(ads),
                "builtin": True,
                "evaluate_alerts": alerts,
            },
        )
    for metric, below, values in THRESHOLDS:
        for level, value in zip(("watch", "warning", "critical"), values, strict=True):
            AlertThreshold.objects.get_or_create(
                metric=metric, level=level, defaults={"threshold": Decimal(value), "below": below}
            )
    if not PlaybookStep.objects.exists():
        PlaybookStep.objects.bulk_create(
            PlaybookStep(level=level, metric=metric, owner_role=role, action=en, action_zh=zh, position=i)
            for i, (level, metric, role, en, zh) in enumerate(PLAYBOOK)
        )
