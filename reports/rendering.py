"""How an archived report is shown: the HTML page's context and plotly figures, the email (HTML with the
charts as inline PNG images, plain text, PDF attached), the PDF (weasyprint) and the XLSX (openpyxl).

Everything is drawn from ManagerReport.content (reports.report_content), never from live data, so that each
output shows the figures of the generation it belongs to. Labels are translated when rendered."""

from __future__ import annotations

import base64
from decimal import Decimal
from email.mime.image import MIMEImage
from io import BytesIO

import plotly.graph_objects as go
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import SafeMIMEMultipart
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from openpyxl import Workbook

from reports import charts, charts_static, kpis
from reports.models import ManagerReport, ReportKind

WEEKDAYS_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _fmt(key: str) -> str:
    if key in kpis.MONEY_KPIS:
        return "money"
    if key in kpis.RATE_KPIS:
        return "rate"
    return "int"


def _num(value) -> float:
    return float(Decimal(str(value))) if value not in (None, "") else 0.0


def _dec(value):
    """A stored figure for a spreadsheet cell: numbers as Decimal/int, everything else unchanged."""
    if isinstance(value, str):
        try:
            return Decimal(value)
        except ArithmeticError:
            return value
    return value


def kpi_display_rows(content: dict) -> list[dict]:
    return [
        {
            **row,
            "label": str(kpis.KPI_LABELS.get(row["key"], row["key"])),
            "definition": str(kpis.KPI_DEFINITIONS.get(row["key"], "")),
            "fmt": _fmt(row["key"]),
        }
        for row in content.get("kpis", [])
    ]


def anomaly_display_rows(content: dict) -> list[dict]:
    return [
        {
            **a,
            "label": str(kpis.KPI_LABELS.get(a["metric"], a["metric"])),
            "money": a["metric"] in kpis.MONEY_KPIS or a["metric"] == "revenue",
            "top": (a.get("contributions") or [None])[0],
        }
        for a in content.get("anomalies", [])
    ]


def report_title(report: ManagerReport) -> str:
    content = report.content or {}
    if report.kind == ReportKind.WEEKLY:
        return _("Weekly manager report %(start)s – %(last)s") % {
            "start": report.period_start.isoformat(),
            "last": content.get("period_last", ""),
        }
    return _("Daily operations digest %(day)s") % {"day": report.period_start.isoformat()}


def report_context(report: ManagerReport, *, site_url: str = "") -> dict:
    """The context of the report body (reports/weekly/_report_body.html) shared by page, email and PDF."""
    content = report.content or {}
    return {
        "report": report,
        "title": report_title(report),
        "c": content,
        "weekly": report.kind == ReportKind.WEEKLY,
        "kpi_rows": kpi_display_rows(content),
        "anomaly_rows": anomaly_display_rows(content),
        "site_url": site_url,
    }


# --- charts ----------------------------------------------------------------------------------------------


def _day_labels(content: dict) -> list[str]:
    return [row["date"][5:] for row in content.get("daily", [])]


def chart_specs(report: ManagerReport) -> list[tuple[str, str]]:
    """(name, label) of the charts the report shows, in order."""
    if report.kind == ReportKind.WEEKLY:
        return [("daily", _("GMV and orders per day")), ("channels", _("GMV by channel"))]
    return [("daily", _("GMV and orders, last 14 days")), ("channels", _("GMV by channel"))]


def chart_pngs(report: ManagerReport) -> dict[str, bytes]:
    """The report's charts as PNG images (for email and PDF)."""
    content = report.content or {}
    daily = content.get("daily", [])
    channels = content.get("channels", [])
    labels = dict(chart_specs(report))
    currency = content.get("currency", settings.SHOP_CURRENCY)
    return {
        "daily": charts_static.bar_line_png(
            labels=_day_labels(content),
            bars=[_num(r["gmv"]) for r in daily],
            line=[r["orders"] for r in daily],
            title=labels["daily"],
            bar_label=_("GMV (%(currency)s)") % {"currency": currency},
            line_label=_("Orders"),
        ),
        "channels": charts_static.horizontal_bars_png(
            labels=[r["name"] for r in channels] or [_("No sales")],
            values=[_num(r["gmv"]) for r in channels] or [0.0],
            title=labels["channels"],
            value_label=_("GMV (%(currency)s)") % {"currency": currency},
        ),
    }


def plotly_figures(report: ManagerReport) -> list[dict]:
    """The same charts as plotly figures for the page: [{"id", "label", "figure"}]."""
    content = report.content or {}
    daily = content.get("daily", [])
    channels = content.get("channels", [])
    labels = dict(chart_specs(report))
    x = [r["date"] for r in daily]
    trend = go.Figure()
    trend.add_trace(go.Bar(x=x, y=[_num(r["gmv"]) for r in daily], name=_("GMV"), marker_color="#1f77b4"))
    trend.add_trace(
        go.Scatter(
            x=x,
            y=[r["orders"] for r in daily],
            name=_("Orders"),
            yaxis="y2",
            mode="lines+markers",
            line={"color": "#d62728"},
        )
    )
    trend.update_layout(
        title=labels["daily"],
        height=340,
        template="plotly_white",
        margin={"l": 60, "r": 60, "t": 50, "b": 40},
        yaxis2={"overlaying": "y", "side": "right", "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.2},
    )
    by_channel = go.Figure(
        go.Bar(
            x=[_num(r["gmv"]) for r in channels],
            y=[r["name"] for r in channels],
            orientation="h",
            marker_color=charts.PALETTE[1],
        )
    )
    by_channel.update_layout(
        title=labels["channels"],
        height=120 + 40 * max(len(channels), 1),
        template="plotly_white",
        margin={"l": 120, "r": 20, "t": 50, "b": 40},
        yaxis={"autorange": "reversed"},
    )
    return [
        {"id": "report-chart-daily", "label": labels["daily"], "figure": charts.figure_data(trend)},
        {
            "id": "report-chart-channels",
            "label": labels["channels"],
            "figure": charts.figure_data(by_channel),
        },
    ]


# --- HTML for email and PDF ------------------------------------------------------------------------------


def report_document(report: ManagerReport, *, images: dict[str, str], site_url: str) -> str:
    """The standalone HTML document (email body or PDF source); `images` maps a chart name to its src."""
    context = report_context(report, site_url=site_url)
    context["images"] = [
        {"name": name, "label": label, "src": images[name]}
        for name, label in chart_specs(report)
        if name in images
    ]
    return render_to_string("reports/email/report.html", context)


def report_text(report: ManagerReport, *, site_url: str) -> str:
    return render_to_string("reports/email/report.txt", report_context(report, site_url=site_url))


def report_pdf(report: ManagerReport, *, pngs: dict[str, bytes] | None = None) -> bytes:
    """The report as a PDF (the email document with the charts embedded as data URIs)."""
    from weasyprint import HTML  # imported here: loading pango takes a moment and only this needs it

    pngs = pngs if pngs is not None else chart_pngs(report)
    images = {
        name: "data:image/png;base64," + base64.b64encode(png).decode("ascii") for name, png in pngs.items()
    }
    html = report_document(report, images=images, site_url=settings.SITE_URL)
    return HTML(string=html, base_url=settings.SITE_URL).write_pdf()


class RelatedEmail(EmailMultiAlternatives):
    """An HTML email whose images travel inside it: multipart/mixed [multipart/related [multipart/alternative
    [text, html], images (Content-ID)], attachments]. Django's EmailMultiAlternatives has no related part."""

    def __init__(self, *args, inline_images: dict[str, bytes] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.inline_images = inline_images or {}

    def _create_message(self, msg):
        body = self._create_alternatives(msg)
        if self.inline_images:
            related = SafeMIMEMultipart(
                _subtype="related", encoding=self.encoding or settings.DEFAULT_CHARSET
            )
            related.attach(body)
            for cid, png in self.inline_images.items():
                image = MIMEImage(png, "png")
                image.add_header("Content-ID", f"<{cid}>")
                image.add_header("Content-Disposition", "inline", filename=f"{cid}.png")
                related.attach(image)
            body = related
        return self._create_attachments(body)


def content_id(report: ManagerReport, name: str) -> str:
    return f"{report.kind}-{report.period_start.isoformat()}-{name}@shopops"


def report_email_parts(report: ManagerReport) -> dict:
    """What every recipient's email of a report holds, rendered once: subject, text, HTML (charts by
    Content-ID), the PNG images by Content-ID and the PDF."""
    pngs = chart_pngs(report)
    cids = {name: content_id(report, name) for name in pngs}
    return {
        "subject": report_title(report),
        "text": report_text(report, site_url=settings.SITE_URL),
        "html": report_document(
            report, images={n: f"cid:{cid}" for n, cid in cids.items()}, site_url=settings.SITE_URL
        ),
        "images": {cids[name]: png for name, png in pngs.items()},
        "pdf": report_pdf(report, pngs=pngs),
        "pdf_name": f"{report_filename(report)}.pdf",
    }


def report_email(parts: dict, *, to: str) -> RelatedEmail:
    """One recipient's email (one message each: recipients do not see each other's addresses)."""
    message = RelatedEmail(
        subject=parts["subject"], body=parts["text"], to=[to], inline_images=parts["images"]
    )
    message.attach_alternative(parts["html"], "text/html")
    message.attach(parts["pdf_name"], parts["pdf"], "application/pdf")
    return message


def report_filename(report: ManagerReport) -> str:
    return f"{report.kind}-report-{report.period_start.isoformat()}"


# --- XLSX ------------------------------------------------------------------------------------------------


def _key_values(sheet, rows: list[tuple]) -> None:
    sheet.append([_("Figure"), _("Value")])
    for label, value in rows:
        sheet.append([str(label), _dec(value)])


def report_xlsx(report: ManagerReport) -> bytes:
    """The report as a workbook: one sheet per section."""
    c = report.content or {}
    workbook = Workbook()
    summary = workbook.active
    summary.title = _("Summary")
    summary.append([report_title(report)])
    summary.append([_("Period start"), c.get("period_start")])
    summary.append([_("Period end (last day)"), c.get("period_last")])
    summary.append([_("Generated at"), report.generated_at.isoformat() if report.generated_at else ""])
    summary.append([_("Generations"), report.generations])
    summary.append([])
    summary.append([_("Things to act on"), _("Link")])
    for action in c.get("actions", []):
        summary.append([action["reason"], settings.SITE_URL + action["link"]])

    sheet = workbook.create_sheet(_("KPIs"))
    weekly = report.kind == ReportKind.WEEKLY
    header = [_("KPI"), _("Key"), _("Value"), _("Previous"), _("Change")]
    if weekly:
        header += [_("Last year"), _("Change vs last year")]
    sheet.append(header)
    for row in kpi_display_rows(c):
        values = [
            row["label"],
            row["key"],
            _dec(row["value"]),
            _dec(row["previous"]),
            _dec(row["change_previous"]),
        ]
        if weekly:
            values += [_dec(row.get("last_year")), _dec(row.get("change_last_year"))]
        sheet.append(values)

    sheet = workbook.create_sheet(_("Channels"))
    sheet.append(
        [_("Channel"), _("Code"), _("GMV"), _("Orders"), _("Average order value"), _("Share of GMV")]
    )
    for row in c.get("channels", []):
        sheet.append(
            [row["name"], row["code"], _dec(row["gmv"]), row["orders"], _dec(row["aov"]), _dec(row["share"])]
        )

    sheet = workbook.create_sheet(_("Daily"))
    sheet.append([_("Date"), _("GMV"), _("Orders"), _("Units"), _("Average order value"), _("Net sales")])
    for row in c.get("daily", []):
        sheet.append(
            [
                row["date"],
                _dec(row["gmv"]),
                row["orders"],
                row["units"],
                _dec(row["aov"]),
                _dec(row["net_sales"]),
            ]
        )

    if weekly:
        _finance_sheet(workbook.create_sheet(_("Finance")), c.get("finance") or {})
        _inventory_sheet(workbook.create_sheet(_("Inventory")), c.get("inventory") or {})
        _marketing_sheet(workbook.create_sheet(_("Marketing")), c.get("marketing") or {})
        _service_sheet(workbook.create_sheet(_("Service")), c.get("service") or {})
    else:
        _inventory_sheet(workbook.create_sheet(_("Inventory")), c.get("inventory") or {})
        _waiting_sheet(workbook.create_sheet(_("Waiting")), c)

    sheet = workbook.create_sheet(_("Anomalies"))
    sheet.append(
        [
            _("Day"),
            _("Metric"),
            _("Value"),
            _("Expected"),
            _("Low"),
            _("High"),
            _("Deviation"),
            _("Top contributor"),
        ]
    )
    for a in anomaly_display_rows(c):
        top = a["top"]
        sheet.append(
            [
                a["day"],
                a["label"],
                _dec(a["value"]),
                _dec(a["expected"]),
                _dec(a["low"]),
                _dec(a["high"]),
                _dec(a["deviation"]),
                f"{top['name']} ({top['change']})" if top else "",
            ]
        )
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _finance_sheet(sheet, f: dict) -> None:
    levels = f.get("alerts_by_level") or {}
    _key_values(
        sheet,
        [
            (_("Cash today"), f.get("cash_today")),
            (_("Closing balance, end of the 13-week forecast"), f.get("closing_balance")),
            (_("Lowest projected closing balance"), f.get("lowest_closing")),
            (_("Week of the lowest balance"), f.get("lowest_week_start")),
            (_("Runway (months; empty: cash-positive)"), f.get("runway_months")),
            (_("Cash conversion cycle (days)"), f.get("ccc_days")),
            (_("DSO (days)"), f.get("dso")),
            (_("DPO (days)"), f.get("dpo")),
            (_("DIO (days)"), f.get("dio")),
            (_("Critical alerts"), levels.get("critical", 0)),
            (_("Warning alerts"), levels.get("warning", 0)),
            (_("Watch alerts"), levels.get("watch", 0)),
        ],
    )
    sheet.append([])
    sheet.append([_("Level"), _("Metric"), _("Message")])
    for alert in f.get("alerts") or []:
        sheet.append(
            [alert.get("level_label") or alert.get("level"), alert.get("metric_label"), alert.get("message")]
        )


def _inventory_sheet(sheet, i: dict) -> None:
    dead = i.get("dead_stock") or {}
    rows = [(_("Stockout rate"), i.get("stockout_rate"))]
    if "turnover" in i:
        rows += [
            (_("Turnover (a year)"), i.get("turnover")),
            (_("Days of inventory"), i.get("days_of_inventory")),
            (_("Dead stock SKUs"), dead.get("count")),
            (_("Dead stock value"), dead.get("value")),
        ]
    rows.append((_("Projected stockouts"), i.get("projected_stockouts_total")))
    _key_values(sheet, rows)
    sheet.append([])
    sheet.append([_("SKU"), _("Name"), _("Warehouse"), _("Projected stockout"), _("Days")])
    for p in i.get("projected_stockouts") or []:
        sheet.append(
            [p.get("sku_code"), p.get("sku_name"), p.get("warehouse_code"), p.get("date"), p.get("days")]
        )


def _marketing_sheet(sheet, m: dict) -> None:
    _key_values(
        sheet,
        [
            (_("Ad spend"), m.get("ad_spend")),
            (_("Ad revenue"), m.get("ad_revenue")),
            (_("Ad ROI"), m.get("ad_roi")),
        ],
    )
    sheet.append([])
    sheet.append([_("Promotion"), _("Status"), _("Orders"), _("GMV"), _("Uplift"), _("ROI")])
    for p in m.get("promotions") or []:
        sheet.append(
            [
                p.get("name"),
                p.get("status"),
                p.get("orders"),
                _dec(p.get("gmv")),
                _dec(p.get("uplift")),
                _dec(p.get("roi")),
            ]
        )


def _service_sheet(sheet, s: dict) -> None:
    _key_values(
        sheet,
        [
            (_("SLA attainment"), s.get("sla_attainment")),
            (_("CSAT"), s.get("csat")),
            (_("NPS"), s.get("nps")),
            (_("Tickets opened"), s.get("tickets_opened")),
        ],
    )
    sheet.append([])
    sheet.append([_("Complaint keyword"), _("Count")])
    for k in s.get("top_complaint_keywords") or []:
        sheet.append([k.get("keyword"), k.get("count")])


def _waiting_sheet(sheet, c: dict) -> None:
    w = c.get("waiting") or {}
    s = c.get("service") or {}
    _key_values(
        sheet,
        [
            (_("Open order exceptions"), w.get("exceptions_total")),
            (_("Orders held for risk review"), w.get("held_orders")),
            (_("Open tickets with a breached SLA"), w.get("sla_breached_total")),
            (_("SLA attainment"), s.get("sla_attainment")),
        ],
    )
    sheet.append([])
    sheet.append([_("Exception"), _("Count")])
    for e in w.get("exceptions") or []:
        sheet.append([e.get("label"), e.get("count")])
