"""Demo customer service (`service_seed`), written after the orders exist: teams and four agents, the
default FAQ, six weeks of tickets worked by the agents (answers inserted from the knowledge base, chat
auto-replies, waits on the customer, resolutions, a few late ones and a breached major complaint), reviews
and social mentions with their sentiment (the strongly negative ones open tickets by themselves), three
SKUs with a recurring defect so the complaint keywords point at them and their suppliers, returns at
every stage, compensation by the standard, CSAT answers and NPS surveys answered per channel.

Everything goes through `service.services`, with the times of the story (`at=`), so the clocks, the
stock ledger and the order statuses obey the same rules as the pages. Deterministic by seed (its own
random stream) and the end date, apart from the SLA check, which runs against the real clock.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone

from catalog.models import SKU
from inventory.models import ReturnDefect, StockMovement, Warehouse
from orders.models import Channel, Order, OrderLine
from service.defaults import service_defaults_ensure
from service.kb_defaults import ARTICLES
from service.models import (
    Article,
    ArticleCategory,
    ArticleQuestion,
    ArticleUse,
    Compensation,
    ComplaintKeyword,
    ComplaintKeywordSKU,
    Escalation,
    Feedback,
    ReturnLine,
    ReturnRequest,
    Survey,
    Tag,
    Team,
    Ticket,
    TicketEvent,
    TicketMessage,
    TicketSLA,
)
from service.services import compensation as compensation_services
from service.services import returns as return_services
from service.services.feedback import feedback_record
from service.services.keywords import complaint_keywords_build
from service.services.knowledge import kb_defaults_load, kb_suggest
from service.services.sla import sla_check
from service.services.surveys import csat_survey_create, nps_surveys_schedule, survey_answer
from service.services.tickets import ticket_create, ticket_message_add, ticket_update
from shopops.common import roles
from shopops.common.models import Notification

__all__ = ["service_seed", "DEMO_AGENTS", "SERVICE_MODELS"]

# The rows this seed writes, children before parents (the demo reset deletes in this order). The SLA
# policies, the compensation standard and the settings come from a migration and stay.
SERVICE_MODELS = [
    Notification,
    Survey,
    Compensation,
    ReturnDefect,
    ReturnLine,
    ReturnRequest,
    ComplaintKeywordSKU,
    ComplaintKeyword,
    Feedback,
    ArticleUse,
    Escalation,
    TicketSLA,
    TicketEvent,
    TicketMessage,
    Ticket.tags.through,
    Ticket,
    Tag,
    Team.members.through,
    Team,
    ArticleQuestion,
    Article,
    ArticleCategory,
]

TZ = ZoneInfo(settings.TIME_ZONE)
DAYS = 42  # tickets and feedback of the last six weeks
SIZES = {"tiny": (16, 36, 6), "small": (240, 500, 40)}  # tickets, feedback items, returns
SIZES_DEFAULT = (1200, 2500, 200)
DEMO_AGENTS = [
    ("agent_zhou", "Zhou", "Jie"),
    ("agent_wu", "Wu", "Lei"),
    ("agent_sun", "Sun", "Li"),
    ("agent_he", "He", "Mei"),
]
TEAMS = [("presale", "售前 Pre-sale"), ("aftersales", "售后 After-sales"), ("complaints", "投诉 Complaints")]

GREETINGS = ["", "你好，", "您好，", "亲，", "请问", "在吗？"]
OFF_FAQ_ZH = [
    "这款有没有蓝色的？",
    "可以帮我把两个订单合并发货吗",
    "你们有实体店吗",
    "我想给朋友送礼，能写贺卡吗",
    "这个沙发套适合1.8米的沙发吗",
    "能开增值税专用发票并且分开两张吗",
    "直播间说的赠品怎么没有",
    "我的会员等级为什么降了",
]
OFF_FAQ_EN = [
    "Do you have this in navy blue?",
    "Can you gift-wrap my order?",
    "Is there a store in Shanghai?",
]
COMPLAINTS_ZH = [
    "收到的毛衣洗了一次就起球，质量太差了，要求退款！",
    "快递员态度恶劣，包裹被扔在门口，东西摔坏了，非常生气",
    "发错货了，我买的是米色收到的是灰色，耽误我用，太失望了",
    "客服一直不回复，等了两天都没人处理，我要投诉",
    "床单有很重的异味，根本没法用，退货退款",
]
COMPLAINTS_EN = ["The parcel arrived damaged and nobody answers my emails. Very disappointed."]

# Three SKUs get a recurring defect: reviews of them repeat the defect, so the keyword report traces it.
DEFECTS = [
    ("起球", ["毛衣穿了两次就起球，质量太差", "起球严重，和描述不符，失望", "洗一次就起球了，不推荐"]),
    ("掉色", ["洗了一次掉色严重，染到别的衣服了", "掉色太厉害，差评", "颜色掉得很快，质量不行"]),
    ("异味", ["打开有很重的异味，放了三天还有味道", "异味刺鼻，不敢给孩子用", "味道太大了，退货"]),
]
POSITIVE_ZH = [
    "质量很好，物流很快，非常满意",
    "面料舒服，尺码标准，好评",
    "包装精美，送人很合适，下次还来",
    "客服态度很好，耐心解答，推荐",
    "性价比高，和图片一样，满意",
]
NEUTRAL_ZH = ["还行吧，一般般", "收到了，还没用", "颜色和图片有点差别，可以接受"]
NEGATIVE_ZH = ["物流太慢了，等了一个星期", "尺码偏小，穿着不舒服，有点失望", "做工粗糙，线头很多"]
POSITIVE_EN = ["Great quality and fast shipping, very happy", "Lovely fabric, fits perfectly. Recommended!"]
NEGATIVE_EN = ["Poor quality, the seams came apart after one wash", "Shipping took forever, disappointed"]
SOCIAL = [
    ("这家店的四件套真的好用，推荐给大家", 4),
    ("在他们家买的毛衣起球了，大家慎买", 2),
    ("曝光！某店卖假货，买到的羊毛衫根本不是羊毛，已经打12315投诉", 1),
]


def service_seed(*, scale: str, seed: int, end_date: date) -> dict[str, int]:
    rng = random.Random(f"{seed}-service")
    n_tickets, n_feedback, n_returns = SIZES.get(scale, SIZES_DEFAULT)
    service_defaults_ensure()
    agents = _agents()
    teams = _teams(agents)
    kb_defaults_load()
    start = end_date - timedelta(days=DAYS - 1)
    orders = list(
        Order.objects.filter(
            placed_at__gte=_at(start - timedelta(days=20), time(0)), status__in=["delivered", "shipped"]
        )
        .select_related("channel", "customer")
        .order_by("id")
    )
    counts = {"service.Ticket": 0}
    for k in range(n_tickets):
        _ticket_story(rng, k, start=start, end_date=end_date, orders=orders, agents=agents, teams=teams)
    _feedback(rng, n_feedback, start=start, end_date=end_date, orders=orders)
    movements = StockMovement.objects.count()
    _returns(rng, n_returns, end_date=end_date, agents=agents)
    _compensation(rng, agents)
    _surveys(rng, start=start, end_date=end_date)
    # Reviews and survey comments that opened tickets by themselves, worked by the complaint team.
    _feedback_tickets_work(rng, teams["complaints"])
    _major_complaint_late(orders, teams["complaints"], end_date)
    month = start.replace(day=1)
    while month <= end_date:
        complaint_keywords_build(month=month)
        month = (month + timedelta(days=32)).replace(day=1)
    # The SLA job against the real clock: warnings, breaches and the escalation of the late major complaint.
    sla_check()
    counts["service.Ticket"] = Ticket.objects.count()
    counts["service.Survey"] = Survey.objects.count()
    counts["stock_movements"] = StockMovement.objects.count() - movements  # returned units put back on shelf
    return counts


# -- people ---------------------------------------------------------------------------------------------


def _agents() -> list[User]:
    group = Group.objects.get(name=roles.SERVICE_AGENT)
    agents = []
    for username, first, last in DEMO_AGENTS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        user.groups.add(group)
        agents.append(user)
    return agents


def _teams(agents: list[User]) -> dict[str, Team]:
    teams = {}
    for (code, name), members in zip(TEAMS, (agents[:2], agents[1:3], agents[3:]), strict=True):
        team, _created = Team.objects.get_or_create(code=code, defaults={"name": name})
        team.members.add(*members)
        teams[code] = team
    return teams


# -- tickets --------------------------------------------------------------------------------------------


def _at(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=TZ)


def _moment(rng: random.Random, day: date) -> datetime:
    """A time of the day a customer writes: mostly 9:00-23:00."""
    hour = rng.choices(
        range(24), weights=[1, 1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 9, 9, 10, 10, 9, 8, 8, 9, 10, 10, 8, 4]
    )[0]
    return _at(day, time(hour, rng.randrange(60)))


def _question(rng: random.Random, english: bool) -> tuple[str, Article | None]:
    """A customer's question: a FAQ question reworded a little (about three in four), else off the FAQ."""
    if rng.random() < 0.62:
        item = rng.choice(ARTICLES)
        if english and item["questions_en"]:
            return rng.choice(item["questions_en"]), Article.objects.get(code=item["code"])
        text = rng.choice(GREETINGS) + rng.choice(item["questions_zh"])
        return text, Article.objects.get(code=item["code"])
    return (rng.choice(OFF_FAQ_EN) if english else rng.choice(OFF_FAQ_ZH)), None


def _ticket_story(rng, k, *, start, end_date, orders, agents, teams) -> None:
    day = start + timedelta(days=rng.randrange(DAYS))
    opened = _moment(rng, day)
    kind = rng.choices(["presale", "order_issue", "after_sales", "complaint"], weights=[38, 30, 18, 14])[0]
    order = rng.choice(orders) if orders and kind != "presale" else None
    english = bool(order and order.channel.code == "shopify") or rng.random() < 0.06
    if kind == "complaint":
        body = rng.choice(COMPLAINTS_EN) if english else rng.choice(COMPLAINTS_ZH)
        article = None
        channel = rng.choice(["chat", "phone", "marketplace", "email"])
        priority = rng.choices(["normal", "urgent", "major"], weights=[60, 36, 4])[0]
    else:
        body, article = _question(rng, english)
        channel = rng.choices(["chat", "marketplace", "email", "phone"], weights=[60, 25, 10, 5])[0]
        priority = "urgent" if rng.random() < 0.06 else "normal"
    team = teams["complaints" if kind == "complaint" else "presale" if kind == "presale" else "aftersales"]
    assignee = rng.choice(list(team.members.all()))
    line = order.lines.first() if order else None
    ticket = ticket_create(
        channel=channel,
        type=kind,
        priority=priority,
        subject="",
        body=body,
        customer=order.customer if order else None,
        order=order,
        sku=line.sku if line else None,
        sales_channel=order.channel if order else None,
        source="api" if channel in ("chat", "marketplace") else "agent",
        external_id=f"demo-{k:05d}" if channel in ("chat", "marketplace") else "",
        author_name=order.customer.name if order and order.customer else "",
        team=team,
        assignee=assignee,
        opened_at=opened,
    )
    now = timezone.now()
    if ticket.auto_replied or ticket.first_response_at:
        reply_at = ticket.first_response_at or opened
    else:
        # Mostly on time; one in ten late (a chat after 8-40 minutes, others after a working day or more).
        late = rng.random() < 0.10
        if channel == "chat":
            delay = timedelta(minutes=rng.randint(8, 40) if late else rng.randint(1, 4))
        else:
            delay = timedelta(hours=rng.uniform(26, 40) if late else rng.uniform(0.3, 3.5))
        reply_at = opened + delay
        if reply_at > now:
            return  # still waiting for its first answer
        if article is not None and rng.random() < 0.7 and _top(body) == article:
            _insert(ticket, article, assignee, reply_at, english)
        else:
            reply = (
                "Thanks, we are checking this for you." if english else "您好，已经为您核实，马上为您处理。"
            )
            ticket_message_add(ticket=ticket, kind="reply", body=reply, author=assignee, at=reply_at)
    t = reply_at
    if rng.random() < 0.25:  # we need something from the customer; they answer hours later
        ticket_update(ticket=ticket, user=assignee, status="waiting_customer", at=t + timedelta(minutes=2))
        t += timedelta(hours=rng.uniform(1, 20))
        if t > now:
            return
        again = "Here is the photo." if english else "好的，照片已经发给你们了"
        ticket_message_add(ticket=ticket, kind="customer", body=again, at=t)
    hours = rng.uniform(2, 30) if kind != "complaint" or rng.random() < 0.85 else rng.uniform(50, 70)
    resolved = t + timedelta(hours=hours)
    if resolved > now - timedelta(hours=6) or rng.random() < 0.04:
        return  # still open
    ticket_update(ticket=ticket, user=assignee, status="resolved", at=resolved)
    csat_survey_create(ticket=ticket, at=resolved)  # the request the resolution asks for, at the story's time
    if resolved < now - timedelta(days=3):
        ticket_update(ticket=ticket, user=assignee, status="closed", at=resolved + timedelta(days=3))


def _top(text: str) -> Article | None:
    found = kb_suggest(text=text, limit=1)
    return found[0].article if found else None


def _insert(ticket: Ticket, article: Article, user: User, at: datetime, english: bool) -> None:
    """An agent inserts the FAQ answer (as `kb_answer_insert` does, at the story's time)."""
    answer = article.answer_en if english and article.answer_en else article.answer_zh
    ticket_message_add(
        ticket=ticket, kind=TicketMessage.Kind.REPLY, body=answer, author=user, article=article, at=at
    )
    ArticleUse.objects.create(
        article=article, ticket=ticket, kind=ArticleUse.Kind.INSERTED, user=user, used_at=at
    )
    Article.objects.filter(pk=article.pk).update(use_count=F("use_count") + 1)


def _feedback_tickets_work(rng, team: Team) -> None:
    """The complaint team contacts the authors of the strongly negative reviews and survey comments
    (privately, as the handbook says) and solves most within the day; the last few hours' are waiting."""
    now = timezone.now()
    members = list(team.members.all())
    for ticket in Ticket.objects.filter(source="feedback", status="new").order_by("id"):
        agent = rng.choice(members)
        reply_at = ticket.opened_at + timedelta(minutes=rng.randint(20, 200))
        if reply_at > now - timedelta(hours=5):
            continue
        ticket_update(
            ticket=ticket, user=agent, assignee=agent, team=team, at=reply_at - timedelta(minutes=5)
        )
        body = "非常抱歉给您带来不好的体验，已为您安排退换货并补偿优惠券。"
        ticket_message_add(ticket=ticket, kind="reply", body=body, author=agent, at=reply_at)
        resolved = reply_at + timedelta(hours=rng.uniform(3, 40))
        if resolved > now:
            continue
        ticket_update(ticket=ticket, user=agent, status="resolved", at=resolved)
        csat_survey_create(ticket=ticket, at=resolved)


def _major_complaint_late(orders, team: Team, end_date: date) -> None:
    """A major complaint from the evening of the last day nobody has answered: its 1-hour first response
    is breached by now, so the SLA job escalates it to the managers, who owe a written report."""
    order = next((o for o in reversed(orders) if o.customer_id), None)
    if order is None:
        return
    ticket_create(
        channel="phone",
        type="complaint",
        priority="major",
        subject="电热毯使用时冒烟，要求赔偿 Electric blanket smoked in use",
        body="昨晚用你们的电热毯冒烟了，差点起火，孩子吓坏了！我要求马上给个说法，否则投诉到12315。",
        customer=order.customer,
        order=order,
        sku=order.lines.first().sku,
        sales_channel=order.channel,
        team=team,
        opened_at=_at(end_date, time(21, 40)),
    )


# -- feedback -------------------------------------------------------------------------------------------


def _feedback(rng, n, *, start, end_date, orders) -> None:
    skus = list(SKU.objects.filter(active=True).order_by("code")[:60])
    defect_skus = dict(zip((d[0] for d in DEFECTS), skus[:3], strict=False))
    lines = list(
        OrderLine.objects.filter(order__in=[o.pk for o in orders if o.status == "delivered"])
        .select_related("order__channel", "order__customer", "sku")
        .order_by("id")
    )
    if not lines:
        return
    for k in range(n):
        line = rng.choice(lines)
        order = line.order
        when = order.delivered_at + timedelta(hours=rng.uniform(6, 120)) if order.delivered_at else None
        if when is None or when.date() > end_date or when.date() < start:
            when = _moment(rng, start + timedelta(days=rng.randrange(DAYS)))
        sku = line.sku
        english = order.channel.code == "shopify"
        roll = rng.random()
        if roll < 0.12 and defect_skus:
            keyword, texts = rng.choice(DEFECTS)
            sku = defect_skus.get(keyword, sku)
            text, rating = rng.choice(texts), rng.choice([1, 2])
        elif roll < 0.62:
            text, rating = rng.choice(POSITIVE_EN if english else POSITIVE_ZH), rng.choice([4, 5, 5])
        elif roll < 0.82:
            text, rating = rng.choice(NEUTRAL_ZH), 3
        else:
            text, rating = rng.choice(NEGATIVE_EN if english else NEGATIVE_ZH), rng.choice([1, 2, 2, 3])
        feedback_record(
            source="review",
            channel=order.channel,
            external_id=f"demo-review-{k:05d}",
            sku=sku,
            order=order,
            customer=order.customer,
            text=text,
            rating=rating,
            occurred_at=when,
            received_at=when + timedelta(minutes=rng.randint(5, 90)),
        )
    channel = Channel.objects.filter(code="douyin").first() or Channel.objects.order_by("code").first()
    for k, (text, rating) in enumerate(SOCIAL):
        when = _moment(rng, end_date - timedelta(days=2 + k))
        feedback_record(
            source="social",
            channel=channel,
            external_id=f"demo-social-{k}",
            text=text,
            rating=rating,
            occurred_at=when,
            author=f"用户{rng.randrange(10_000, 99_999)}",
            received_at=when + timedelta(hours=1),
        )


# -- returns and compensation ---------------------------------------------------------------------------


def _returns(rng, n, *, end_date, agents) -> None:
    warehouse = Warehouse.objects.order_by("code").first()
    since = _at(end_date - timedelta(days=12), time(0))
    candidates = list(
        Order.objects.filter(status="delivered", delivered_at__gte=since)
        .order_by("id")
        .values_list("id", flat=True)
    )
    rng.shuffle(candidates)
    stages = [
        "requested",
        "approved",
        "received",
        "inspected",
        "refunded",
        "refunded",
        "refunded",
        "rejected",
    ]
    made = 0
    for order_id in candidates:
        if made >= n:
            break
        order = Order.objects.get(pk=order_id)
        lines = [(line.pk, line.quantity) for line in order.lines.all()[:1]]
        reason = rng.choices(
            ["no_reason", "defective", "not_as_described", "wrong_item", "damaged"],
            weights=[50, 20, 12, 8, 10],
        )[0]
        asked = order.delivered_at + timedelta(hours=rng.uniform(10, 100))
        if asked > timezone.now():
            continue
        agent = rng.choice(agents)
        try:
            request = return_services.return_request_create(
                order=order, lines=lines, reason=reason, user=agent, at=asked
            )
        except ValidationError:
            continue  # exempt SKU, or outside the window
        made += 1
        stage = stages[made % len(stages)]
        t = asked + timedelta(hours=rng.uniform(1, 8))
        if stage == "requested" or t > timezone.now():
            continue
        if stage == "rejected":
            return_services.return_reject(
                request=request, reason="超过质保范围 Outside the warranty", user=agent, at=t
            )
            continue
        return_services.return_approve(request=request, user=agent, at=t)
        t += timedelta(hours=rng.uniform(20, 60))
        if stage == "approved" or t > timezone.now():
            continue
        return_services.return_receive(request=request, warehouse=warehouse, user=agent, at=t)
        t += timedelta(hours=rng.uniform(2, 20))
        if stage == "received" or t > timezone.now():
            continue
        scrap = reason in ("defective", "damaged")
        results = {
            line.pk: (0, line.quantity) if scrap else (line.quantity, 0) for line in request.lines.all()
        }
        return_services.return_inspect(request=request, results=results, user=agent, at=t)
        # Most refunds within the 2-day target; some take longer.
        t += timedelta(hours=rng.uniform(1, 30) if rng.random() < 0.8 else rng.uniform(50, 90))
        if stage == "inspected" or t > timezone.now():
            continue
        try:
            return_services.return_refund(request=request, user=agent, at=t)
        except ValidationError:
            continue


def _compensation(rng, agents) -> None:
    complaints = list(Ticket.objects.filter(type="complaint").exclude(order=None).order_by("id")[:12])
    problems = ["defective", "late_delivery", "damaged", "wrong_item", "service"]
    for k, ticket in enumerate(complaints):
        severity = "severe" if ticket.priority == "major" else rng.choice(["minor", "moderate"])
        try:
            compensation_services.compensation_grant(
                problem=problems[k % len(problems)],
                severity=severity,
                user=ticket.assignee or agents[0],
                ticket=ticket,
                at=ticket.opened_at + timedelta(hours=3),
            )
        except ValidationError:
            continue


# -- surveys --------------------------------------------------------------------------------------------

NPS_WEIGHTS = {  # score 0..10 per channel: own-store buyers are the fans, marketplaces the average
    "own_store": [1, 0, 1, 1, 1, 2, 3, 6, 12, 22, 30],
    "default": [1, 1, 1, 1, 2, 3, 4, 10, 17, 25, 22],
}


def _surveys(rng, *, start, end_date) -> None:
    day = start
    while day <= end_date:
        nps_surveys_schedule(today=day)
        day += timedelta(days=1)
    now = timezone.now()
    for survey in Survey.objects.filter(kind="nps").select_related("order", "channel").order_by("id"):
        sent = (
            survey.order.delivered_at + timedelta(days=5)
            if survey.order and survey.order.delivered_at
            else now
        )
        Survey.objects.filter(pk=survey.pk).update(created_at=sent, expires_at=sent + timedelta(days=14))
        answered = sent + timedelta(hours=rng.uniform(1, 48))
        if rng.random() > 0.35 or answered > now:
            continue
        weights = NPS_WEIGHTS.get(survey.channel.code if survey.channel else "", NPS_WEIGHTS["default"])
        score = rng.choices(range(11), weights=weights)[0]
        comment = "" if score > 6 or rng.random() < 0.8 else rng.choice(NEGATIVE_ZH)
        survey_answer(token=survey.token, score=score, comment=comment, now=answered)
    for survey in (
        Survey.objects.filter(kind="csat", answered_at=None).select_related("ticket").order_by("id")
    ):
        if rng.random() > 0.45:
            continue
        answered = survey.created_at + timedelta(hours=rng.uniform(0.5, 24))
        if answered > now:
            continue
        breached = survey.ticket.slas.filter(breached=True).exists()
        score = rng.choices([1, 2, 3, 4, 5], weights=[3, 3, 4, 6, 2] if breached else [1, 1, 3, 10, 14])[0]
        survey_answer(token=survey.token, score=score, now=answered)
