"""Keywords: the few words of one feedback item, and the monthly complaint keyword report (高频投诉关键词).

The monthly report reads the month's complaints: negative feedback (sentiment below
`ServiceSettings.negative_sentiment`, or a rating of 1-2 stars) and the customer messages of complaint
tickets (tickets opened from feedback are left out: their text is the feedback's and would count twice).

Candidates are words and two-word phrases (adjacent content words of one clause):
- Chinese: words and weights from jieba's TF-IDF (`jieba.analyse.extract_tags(withWeight=True)` over the
  month's Chinese complaints as one text); a phrase gets the same formula, its frequency times the mean
  IDF of its two words (jieba's IDF table).
- English: term frequency in the complaints times an IDF learnt from all of the month's feedback, praise
  included, so that words every review uses weigh little.
Each language's weights are scaled to its best candidate (1.0) times its share of the complaints, so the
two lists merge fairly. Generic words (商品, 东西, 感觉, product, item, ...) never count.

`mentions` is the number of complaints that hold the keyword; with ten or more complaints a keyword
needs two of them, so one long rant cannot fill the list. The top 30 by weight are stored, each with its
mentions per SKU (ComplaintKeywordSKU), so that a keyword leads to a product and from there to its
suppliers (`service.selectors.feedback.complaint_keyword_report`).
"""

import logging
import math
import re
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Q

from service import nlp
from service.models import (
    ComplaintKeyword,
    ComplaintKeywordSKU,
    Feedback,
    ServiceSettings,
    Ticket,
    TicketMessage,
)
from shopops.common.dates import day_range

TOP_KEYWORDS = 30
ITEM_KEYWORDS = 8
MIN_MENTIONS = 2  # once the month has MIN_MENTIONS_FROM complaints
MIN_MENTIONS_FROM = 10
KEYWORD_MAX_LENGTH = 50
LOW_RATING = 2
_WEIGHT_PLACES = Decimal("0.0001")

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_EN_WORD = re.compile(r"[a-z][a-z0-9'-]*[a-z0-9]")
_CLAUSE = re.compile(r"[，,。.!！?？;；:：、\n\r\t~～…()（）\[\]【】\"“”'‘’/|]+")
_DIGITS = re.compile(r"^[0-9.]+$")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words every complaint may use and that point at no defect or gap.
ZH_GENERIC = (
    _words(
        """
    商品 东西 产品 宝贝 一个 一下 一次 一些 感觉 觉得 非常 真的 实在 就是 还是 但是 而且 然后 因为 所以
    如果 这样 那样 没有 不是 知道 现在 时候 已经 还有 可能 应该 一点 有点 一直 出来 起来 一样 这次 这么
    那么 什么 怎么 为什么 问题 情况 客户 买家 卖家 店家 商家 店铺 收到 购买 下单 买了 东东 东西 质量
    希望 大家 结果 第一次 两次 几天 今天 昨天 一天 两天 天天 之后 以后 之前 时间 太 很 特别 比较 十分
    朋友 老公 老婆 孩子 宝宝 自己 我们 他们 你们 这个 那个 这种 哪个 说 用 买 看 拿 给 问 回 等 刚 才
    我要 我们 要求 需要 想要 直接 完全 根本 居然 竟然 简直 一般 差点 这件 那件 这款 那款 全是 都是 星期
    一周 一个月 个月
    """
    )
    | nlp.ZH_STOP
)
EN_GENERIC = (
    _words(
        """
        product products item items thing things stuff really very much also only even still again ever
        one two first bought buy buying order ordered received get got make made use used using like
        would could should will just quite lot lots bit know think seems seem way time times day days
        week weeks month months back still really totally absolutely definitely actually literally
        shop store seller sellers customer customers service money price well good bad now
        after before want wanted total even though since because
        """
    )
    | nlp.EN_STOP
)

_jieba_lock = threading.Lock()
_jieba_ready = False


def _jieba():
    """jieba with its analyser, loaded once per process (its dictionary takes a second)."""
    global _jieba_ready
    import jieba
    import jieba.analyse

    if not _jieba_ready:
        with _jieba_lock:
            if not _jieba_ready:
                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba_ready = True
    return jieba


# --- one item --------------------------------------------------------------------------------------------


def _zh_content(word: str) -> bool:
    return len(word) >= 2 and bool(_CJK.search(word)) and word not in ZH_GENERIC


def _en_content(word: str) -> bool:
    return len(word) >= 3 and word not in EN_GENERIC and not _DIGITS.match(word)


def _en_words(text: str) -> list[str]:
    return [w.strip("'-") for w in _EN_WORD.findall(text.lower())]


def text_keywords(text: str, *, language: str | None = None, top: int = ITEM_KEYWORDS) -> list[str]:
    """The item's keywords, most telling first: jieba's TF-IDF tags for Chinese, the most frequent content
    words for English (ties in the order they are written)."""
    text = (text or "").strip()
    if not text:
        return []
    language = language or nlp.language_of(text)
    if language == "zh":
        jieba = _jieba()
        tags = jieba.analyse.extract_tags(text, topK=top * 3)
        found = [t for t in tags if _zh_content(t) or (not _CJK.search(t) and _en_content(t.lower()))]
        return found[:top]
    words = [w for w in _en_words(text) if _en_content(w)]
    counts = Counter(words)
    order = {w: i for i, w in reversed(list(enumerate(words)))}
    return sorted(counts, key=lambda w: (-counts[w], order[w]))[:top]


# --- the month --------------------------------------------------------------------------------------------


@dataclass
class _Doc:
    text: str
    language: str
    sku_id: int | None
    terms: set[str] = field(default_factory=set)


@dataclass
class KeywordScore:
    keyword: str
    weight: float
    mentions: int
    sku_mentions: dict[int, int]


def _month_start(month: date) -> date:
    return month.replace(day=1)


def _next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def _zh_clause_words(jieba, text: str) -> list[list[str]]:
    clauses = []
    for clause in _CLAUSE.split(text):
        words = [w.strip() for w in jieba.lcut(clause) if w.strip()]
        clauses.append(words)
    return clauses


def _zh_candidates(docs: list[_Doc]) -> dict[str, float]:
    """Chinese words (jieba TF-IDF over the month's complaints) and phrases, with their weights; each
    doc's `terms` collects the candidates it holds."""
    if not docs:
        return {}
    jieba = _jieba()
    tfidf = jieba.analyse.default_tfidf
    idf = tfidf.idf_freq
    median_idf = tfidf.median_idf
    corpus = "\n".join(doc.text for doc in docs)
    weights = {
        word: weight
        for word, weight in jieba.analyse.extract_tags(corpus, topK=TOP_KEYWORDS * 10, withWeight=True)
        if _zh_content(word)
    }
    phrase_counts: Counter[str] = Counter()
    phrase_parts: dict[str, tuple[str, str]] = {}
    total = 0
    for doc in docs:
        for clause in _zh_clause_words(jieba, doc.text):
            content = [w for w in clause if _zh_content(w)]
            # counted like extract_tags counts its words, so that phrase and word weights compare
            total += sum(1 for w in clause if len(w) >= 2)
            for first, second in zip(content, content[1:], strict=False):
                phrase = first + second
                if len(phrase) <= KEYWORD_MAX_LENGTH:
                    phrase_counts[phrase] += 1
                    phrase_parts[phrase] = (first, second)
                    doc.terms.add(phrase)
        doc.terms.update(word for word in weights if word in doc.text)
    for phrase, count in phrase_counts.items():
        if phrase in weights:
            continue
        first, second = phrase_parts[phrase]
        mean_idf = (idf.get(first, median_idf) + idf.get(second, median_idf)) / 2
        weights[phrase] = count / max(total, 1) * mean_idf
    return weights


def _en_clause_words(text: str) -> list[list[str]]:
    return [[w for w in _en_words(clause) if _en_content(w)] for clause in _CLAUSE.split(text)]


def _en_candidates(docs: list[_Doc], background: list[str]) -> dict[str, float]:
    """English words and phrases: frequency in the complaints times an IDF from all the month's
    feedback (`background`, the complaints included)."""
    if not docs:
        return {}
    document_frequency: Counter[str] = Counter()
    texts = [doc.text for doc in docs] + background
    for text in texts:
        terms = set()
        for clause in _en_clause_words(text):
            terms.update(clause)
            terms.update(f"{a} {b}" for a, b in zip(clause, clause[1:], strict=False))
        document_frequency.update(terms)
    frequency: Counter[str] = Counter()
    total = 0
    for doc in docs:
        for clause in _en_clause_words(doc.text):
            total += len(clause)
            frequency.update(clause)
            phrases = [f"{a} {b}" for a, b in zip(clause, clause[1:], strict=False)]
            frequency.update(phrases)
            doc.terms.update(clause)
            doc.terms.update(phrases)
    n = len(texts)
    return {
        term: count / max(total, 1) * (math.log((n + 1) / (document_frequency[term] + 1)) + 1)
        for term, count in frequency.items()
        if len(term) <= KEYWORD_MAX_LENGTH
    }


def complaint_keywords_score(
    docs: list[_Doc], *, background: list[str] = (), top: int = TOP_KEYWORDS
) -> list[KeywordScore]:
    """The month's top keywords from its complaint documents (see the module docstring); no database."""
    if not docs:
        return []
    zh_docs = [doc for doc in docs if doc.language == "zh"]
    en_docs = [doc for doc in docs if doc.language != "zh"]
    weights: dict[str, float] = {}
    for part, candidates in (
        (zh_docs, _zh_candidates(zh_docs)),
        (en_docs, _en_candidates(en_docs, list(background))),
    ):
        if not candidates:
            continue
        best = max(candidates.values()) or 1.0
        share = len(part) / len(docs)
        for term, weight in candidates.items():
            weights[term] = max(weights.get(term, 0.0), weight / best * share)
    mentions: Counter[str] = Counter()
    by_sku: dict[str, Counter[int]] = defaultdict(Counter)
    for doc in docs:
        for term in doc.terms & weights.keys():
            mentions[term] += 1
            if doc.sku_id:
                by_sku[term][doc.sku_id] += 1
    least = MIN_MENTIONS if len(docs) >= MIN_MENTIONS_FROM else 1
    ranked = sorted(
        (term for term in weights if mentions[term] >= least),
        key=lambda term: (-weights[term], -mentions[term], term),
    )
    return [
        KeywordScore(
            keyword=term, weight=weights[term], mentions=mentions[term], sku_mentions=dict(by_sku[term])
        )
        for term in ranked[:top]
    ]


def _month_docs(start: date, end: date) -> tuple[list[_Doc], list[str]]:
    settings = ServiceSettings.load()
    since, until = day_range(start, end)
    month_feedback = Feedback.objects.filter(occurred_at__gte=since, occurred_at__lt=until)
    negative = month_feedback.filter(Q(sentiment__lt=settings.negative_sentiment) | Q(rating__lte=LOW_RATING))
    docs = [
        _Doc(text=text, language=language or nlp.language_of(text), sku_id=sku_id)
        for text, language, sku_id in negative.values_list("text", "language", "sku_id").order_by("id")
    ]
    messages = (
        TicketMessage.objects.filter(
            kind=TicketMessage.Kind.CUSTOMER,
            ticket__type=Ticket.Type.COMPLAINT,
            created_at__gte=since,
            created_at__lt=until,
        )
        .exclude(ticket__source=Ticket.Source.FEEDBACK)
        .values_list("body", "ticket__sku_id")
        .order_by("id")
    )
    docs += [
        _Doc(text=body, language=nlp.language_of(body), sku_id=sku_id) for body, sku_id in messages if body
    ]
    background = [
        text
        for text in month_feedback.exclude(pk__in=negative.values("pk")).values_list("text", flat=True)
        if nlp.language_of(text) != "zh"
    ]
    return docs, background


@transaction.atomic
def complaint_keywords_build(*, month: date) -> int:
    """Rebuild the month's ComplaintKeyword and ComplaintKeywordSKU rows from negative feedback and
    complaint tickets; idempotent. Returns the number of keywords."""
    start = _month_start(month)
    docs, background = _month_docs(start, _next_month(start))
    scores = complaint_keywords_score(docs, background=background)
    ComplaintKeywordSKU.objects.filter(month=start).delete()
    ComplaintKeyword.objects.filter(month=start).delete()
    ComplaintKeyword.objects.bulk_create(
        ComplaintKeyword(
            month=start,
            keyword=score.keyword,
            rank=rank,
            weight=Decimal(str(score.weight)).quantize(_WEIGHT_PLACES, rounding=ROUND_HALF_UP),
            mentions=score.mentions,
        )
        for rank, score in enumerate(scores, start=1)
    )
    ComplaintKeywordSKU.objects.bulk_create(
        ComplaintKeywordSKU(month=start, keyword=score.keyword, sku_id=sku_id, mentions=count)
        for score in scores
        for sku_id, count in score.sku_mentions.items()
    )
    return len(scores)
