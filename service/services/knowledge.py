"""The knowledge base: suggestions, inserting an answer, the chat auto-reply, article upkeep.

Suggestions come from an in-process BM25 index over the tokens of every question variant and title of the
active articles. The index is rebuilt when the articles change: a fingerprint of the tables (counts, last
change) is compared on each search, which costs one small query instead of a stale answer in another
worker process."""

import math
import re
import threading
from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from service import nlp
from service.models import (
    Article,
    ArticleCategory,
    ArticleQuestion,
    ArticleUse,
    ServiceSettings,
    Ticket,
    TicketMessage,
)

_PLACES = Decimal("0.0001")
_CODE = re.compile(r"^[-a-zA-Z0-9_]+$")

# BM25 constants as usually tuned for short texts.
_K1 = 1.2
_B = 0.75
_ANSWER_WEIGHT = 0.5

# A lone weak match (one shared word, often only in an answer) leads "the second" by 100 % and would pass
# any margin; below `ServiceSettings.autoreply_min_score` (0.20) the customer waits for a person instead.

# Customers and the FAQ say the same thing in different words; map them onto one token so a paraphrase
# still meets the stored variant. Kept small and unambiguous on purpose.
_SYNONYMS = {
    # Chinese
    "几天": "多久",
    "多长时间": "多久",
    "多长": "多久",
    "长时间": "多久",
    "几号": "什么时候",
    "时候": "什么时候",
    "啥时候": "什么时候",
    "何时": "什么时候",
    "快件": "快递",
    "包裹": "快递",
    "运单": "物流",
    "单号": "物流",
    "寄出": "发货",
    "发出": "发货",
    "出库": "发货",
    "退钱": "退款",
    "钱款": "退款",
    "退回": "退货",
    "退换": "退货",
    "寄回": "退货",
    "开票": "发票",
    "票据": "发票",
    "优惠卷": "优惠券",
    "券": "优惠券",
    "红包": "优惠券",
    "码数": "尺码",
    "尺寸": "尺码",
    "号码": "尺码",
    "大小": "尺码",
    "修改": "改",
    "更改": "改",
    "更换": "换",
    "撤销": "取消",
    "不要了": "取消",
    "降价": "价保",
    "差价": "价保",
    "破了": "破损",
    "坏了": "破损",
    "压坏": "破损",
    "摔坏": "破损",
    "错发": "发错",
    "发错货": "发错",
    "寄错": "发错",
    "付款": "支付",
    "付钱": "支付",
    "关税": "税费",
    "税": "税费",
    # English
    "shipping": "ship",
    "shipped": "ship",
    "dispatch": "ship",
    "dispatched": "ship",
    "deliver": "delivery",
    "delivered": "delivery",
    "arrive": "delivery",
    "arrived": "delivery",
    "arrival": "delivery",
    "package": "parcel",
    "money": "refund",
    "reimburse": "refund",
    "refunded": "refund",
    "returning": "return",
    "returned": "return",
    "broken": "damaged",
    "damage": "damaged",
    "crushed": "damaged",
    "pay": "payment",
    "paid": "payment",
    "paying": "payment",
    "voucher": "coupon",
    "code": "coupon",
    "discount": "coupon",
    "receipt": "invoice",
    "fapiao": "invoice",
    "tax": "duty",
    "duties": "duty",
    "customs": "duty",
    "modify": "change",
    "edit": "change",
    "update": "change",
    "cancelled": "cancel",
    "canceled": "cancel",
    "incorrect": "wrong",
    "receiv": "receive",
    "color": "colour",
    "tracking": "track",
    "trace": "track",
    "fit": "size",
    "sizing": "size",
    "presale": "pre-sale",
    "preorder": "pre-sale",
    "point": "points",
    "guarantee": "warranty",
}


@dataclass(frozen=True)
class Suggestion:
    article: Article
    score: Decimal  # 0..1, higher is better
    question: str  # the variant that matched best


# ---------------------------------------------------------------------------------------------
# The index
# ---------------------------------------------------------------------------------------------
def _fold(token: str) -> str:
    if token in _SYNONYMS:
        return _SYNONYMS[token]
    # Light English suffix folding on top of nlp's plural stripping: "charged" ~ "charge" ~ "charging".
    if token.isascii() and token.isalpha() and len(token) > 5:
        for suffix in ("ing", "ed", "e"):
            if token.endswith(suffix):
                return _SYNONYMS.get(token[: -len(suffix)], token[: -len(suffix)])
    if token.isascii() and token.isalpha() and len(token) > 4 and token.endswith("e"):
        return token[:-1]
    return token


def search_tokens(text: str) -> list[str]:
    """The tokens a text is indexed / searched by: `nlp.tokens` with synonyms folded together."""
    return [_fold(token) for token in nlp.tokens(text)]


class _Index:
    def __init__(self, docs: list[tuple[int, str, list[str], float]]):
        # docs: (article id, text shown as the matched question, tokens, weight)
        self.docs = [(article_id, text, Counter(toks), len(toks)) for article_id, text, toks, _w in docs]
        self.weights = [weight for _article_id, _text, _toks, weight in docs]
        self.count = len(self.docs)
        self.avg_len = (sum(d[3] for d in self.docs) / self.count) if self.count else 1.0
        df = Counter()
        for _article_id, _text, tf, _length in self.docs:
            df.update(tf.keys())
        self.idf = {term: self._idf(n) for term, n in df.items()}
        self.unknown_idf = self._idf(0)
        self.postings: dict[str, list[int]] = {}
        for i, (_article_id, _text, tf, _length) in enumerate(self.docs):
            for term in tf:
                self.postings.setdefault(term, []).append(i)

    def _idf(self, df: int) -> float:
        return math.log(1 + (self.count - df + 0.5) / (df + 0.5))

    def _term(self, idf: float, tf: int, length: int) -> float:
        return idf * tf * (_K1 + 1) / (tf + _K1 * (1 - _B + _B * length / self.avg_len))

    def search(self, query: list[str]) -> dict[int, tuple[float, str]]:
        """Article id -> (score 0..1, best variant). The score is the best variant's BM25 divided by the
        score the query would reach against itself, so a full match is ~1 whatever the query's length."""
        if not query or not self.count:
            return {}
        q = Counter(query)
        self_score = sum(
            self._term(self.idf.get(term, self.unknown_idf), tf, len(query)) for term, tf in q.items()
        )
        scores: dict[int, float] = {}
        for term in q:
            idf = self.idf.get(term)
            if idf is None:
                continue
            for i in self.postings[term]:
                _article_id, _text, tf, length = self.docs[i]
                scores[i] = scores.get(i, 0.0) + self._term(idf, tf[term], length)
        best: dict[int, tuple[float, str]] = {}
        for i, score in scores.items():
            article_id, text, _tf, _length = self.docs[i]
            share = min(1.0, self.weights[i] * score / self_score) if self_score > 0 else 0.0
            if share > best.get(article_id, (-1.0, ""))[0]:
                best[article_id] = (share, text)
        return best


_index_lock = threading.Lock()
_index: _Index | None = None
_index_fingerprint = None


def _fingerprint():
    articles = Article.objects.aggregate(n=Count("id"), changed=Max("updated_at"), last=Max("id"))
    questions = ArticleQuestion.objects.aggregate(n=Count("id"), last=Max("id"))
    return (articles["n"], articles["changed"], articles["last"], questions["n"], questions["last"])


def _build_index() -> _Index:
    docs = []
    articles = Article.objects.filter(active=True).prefetch_related("questions")
    for article in articles:
        for title in (article.title_zh, article.title_en):
            if title:
                docs.append((article.pk, title, search_tokens(title), 1.0))
        for question in article.questions.all():
            docs.append((article.pk, question.text, search_tokens(question.text), 1.0))
        # The answers hold words customers use that no variant does ("泳衣", "credit card"); they count
        # less than a question, and a match there shows the title as the matched question.
        for title, answer in ((article.title_zh, article.answer_zh), (article.title_en, article.answer_en)):
            if answer:
                docs.append((article.pk, title or article.title_zh, search_tokens(answer), _ANSWER_WEIGHT))
    return _Index([doc for doc in docs if doc[2]])


def _current_index() -> _Index:
    global _index, _index_fingerprint
    fingerprint = _fingerprint()
    with _index_lock:
        if _index is None or fingerprint != _index_fingerprint:
            _index = _build_index()
            _index_fingerprint = fingerprint
        return _index


def kb_index_reset() -> None:
    """Forget the cached index (the next search rebuilds it)."""
    global _index, _index_fingerprint
    with _index_lock:
        _index = None
        _index_fingerprint = None


def _decimal(value) -> Decimal:
    return Decimal(str(value)).quantize(_PLACES, rounding=ROUND_HALF_UP)


def kb_suggest(*, text: str, limit: int = 5) -> list[Suggestion]:
    """The best-matching active articles for a customer's text (Chinese or English), best first."""
    query = search_tokens(text)
    if not query:
        return []
    matches = _current_index().search(query)
    ranked = sorted(matches.items(), key=lambda item: (-item[1][0], item[0]))[: max(limit, 0)]
    articles = Article.objects.select_related("category").in_bulk([article_id for article_id, _m in ranked])
    suggestions = []
    for article_id, (score, question) in ranked:
        article = articles.get(article_id)
        if article is None or not article.active:
            continue
        suggestions.append(Suggestion(article=article, score=_decimal(score), question=question))
    return suggestions


# ---------------------------------------------------------------------------------------------
# Using answers
# ---------------------------------------------------------------------------------------------
def article_answer(article: Article, language: str) -> str:
    """The answer in `language` ('zh' / 'en'); Chinese when there is no English answer."""
    if language == "en" and article.answer_en.strip():
        return article.answer_en
    return article.answer_zh


def _ticket_language(ticket: Ticket) -> str:
    if ticket.language in ("zh", "en"):
        return ticket.language
    if (ticket.language or "").startswith("zh"):
        return "zh"
    if (ticket.language or "").startswith("en"):
        return "en"
    last = ticket.messages.filter(kind=TicketMessage.Kind.CUSTOMER).order_by("-created_at", "-id").first()
    return nlp.language_of(last.body if last else ticket.subject)


def _use_record(*, article: Article, ticket: Ticket, kind: str, score, user, at) -> ArticleUse:
    use = ArticleUse.objects.create(
        article=article, ticket=ticket, kind=kind, score=None if score is None else _decimal(score),
        user=user, used_at=at,
    )  # fmt: skip
    # F(): two agents inserting the same answer at once must both count.
    Article.objects.filter(pk=article.pk).update(use_count=F("use_count") + 1)
    article.refresh_from_db(fields=["use_count"])
    return use


@transaction.atomic
def kb_answer_insert(
    *, ticket: Ticket, article: Article, user, language: str = "", score=None
) -> TicketMessage:
    """Reply on the ticket with the article's answer (in the ticket's language); counts as a use."""
    from service.services.tickets import ticket_message_add

    if not article.active:
        raise ValidationError({"article": _("This article is no longer active.")})
    if language not in ("zh", "en"):
        language = _ticket_language(ticket)
    message = ticket_message_add(
        ticket=ticket, kind=TicketMessage.Kind.REPLY, body=article_answer(article, language), author=user,
        article=article,
    )  # fmt: skip
    _use_record(
        article=article, ticket=ticket, kind=ArticleUse.Kind.INSERTED, score=score, user=user,
        at=message.created_at or timezone.now(),
    )  # fmt: skip
    return message


def _ticket_flag(ticket: Ticket, field: str) -> None:
    # A targeted update: the ticket service may have changed other fields of the row meanwhile.
    now = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(**{field: True, "updated_at": now})
    setattr(ticket, field, True)
    ticket.updated_at = now


@transaction.atomic
def kb_autoreply(*, ticket: Ticket, message: TicketMessage) -> TicketMessage | None:
    """For a chat customer message: answer automatically when the best article leads the second by the
    settings' margin, unless the message is negative (then mark the ticket handed over). A best match
    under the settings' `autoreply_min_score` is no answer. Returns the auto-reply or None."""
    from service.services.tickets import ticket_message_add

    if ticket.channel != Ticket.Channel.CHAT or message.kind != TicketMessage.Kind.CUSTOMER:
        return None
    if ticket.handed_over:
        return None  # a person has taken over the conversation
    settings = ServiceSettings.load()
    mood = message.sentiment if message.sentiment is not None else nlp.sentiment(message.body)
    if mood < settings.negative_sentiment:
        _ticket_flag(ticket, "handed_over")
        return None
    suggestions = kb_suggest(text=message.body, limit=2)
    if not suggestions or suggestions[0].score < settings.autoreply_min_score:
        return None
    top = suggestions[0]
    second = suggestions[1].score if len(suggestions) > 1 else Decimal(0)
    if (top.score - second) / top.score < settings.autoreply_margin:
        return None
    reply = ticket_message_add(
        ticket=ticket, kind=TicketMessage.Kind.AUTO_REPLY,
        body=article_answer(top.article, nlp.language_of(message.body)), article=top.article,
        at=message.created_at,
    )  # fmt: skip
    _use_record(
        article=top.article, ticket=ticket, kind=ArticleUse.Kind.AUTO_REPLY, score=top.score, user=None,
        at=reply.created_at or timezone.now(),
    )  # fmt: skip
    _ticket_flag(ticket, "auto_replied")
    return reply


# ---------------------------------------------------------------------------------------------
# Articles
# ---------------------------------------------------------------------------------------------
def _questions_clean(questions) -> list[tuple[str, str]]:
    """(text, language) pairs from strings or pairs; blanks and duplicates dropped, language detected
    when not given."""
    out, seen = [], set()
    for item in questions or ():
        if isinstance(item, ArticleQuestion):
            text, language = item.text, item.language
        elif isinstance(item, (tuple, list)):
            text, language = item[0], (item[1] if len(item) > 1 else "")
        else:
            text, language = item, ""
        text = " ".join(str(text).split())
        if not text or text.lower() in seen:
            continue
        seen.add(text.lower())
        out.append((text, language if language in ("zh", "en") else nlp.language_of(text)))
    return out


def _category_resolve(category) -> ArticleCategory | None:
    if isinstance(category, ArticleCategory):
        return category
    if not category:
        return None
    return ArticleCategory.objects.filter(code=str(category)).first()


def _article_validate(*, article: Article | None, code: str, category, title_zh: str, answer_zh: str,
                      questions: list[tuple[str, str]] | None) -> dict:  # fmt: skip
    errors = {}
    if not code:
        errors["code"] = _("Enter a code.")
    elif not _CODE.match(code) or len(code) > 50:
        errors["code"] = _("Use letters, digits, hyphens and underscores only (at most 50).")
    elif Article.objects.filter(code=code).exclude(pk=getattr(article, "pk", None)).exists():
        errors["code"] = _("An article with this code exists already.")
    if category is None:
        errors["category"] = _("Choose a category.")
    if not title_zh.strip():
        errors["title_zh"] = _("Enter the Chinese title.")
    if not answer_zh.strip():
        errors["answer_zh"] = _("Enter the Chinese answer.")
    if questions is not None:
        if not questions:
            errors["questions"] = _("Enter at least one question customers ask.")
        elif any(len(text) > 300 for text, _language in questions):
            errors["questions"] = _("A question can be at most 300 characters long.")
    return errors


def _questions_replace(article: Article, questions: list[tuple[str, str]]) -> None:
    current = [(q.text, q.language) for q in article.questions.order_by("id")]
    if current == questions:
        return
    article.questions.all().delete()
    ArticleQuestion.objects.bulk_create(
        ArticleQuestion(article=article, text=text, language=language) for text, language in questions
    )


@transaction.atomic
def article_create(
    *,
    code: str,
    category,
    title_zh: str,
    answer_zh: str,
    title_en: str = "",
    answer_en: str = "",
    questions=(),
    owner=None,
    active: bool = True,
    user=None,
) -> Article:
    """A new article with its question variants (strings, or (text, language) pairs)."""
    code = (code or "").strip()
    category_obj = _category_resolve(category)
    cleaned = _questions_clean(questions)
    errors = _article_validate(
        article=None, code=code, category=category_obj, title_zh=title_zh or "", answer_zh=answer_zh or "",
        questions=cleaned,
    )  # fmt: skip
    if errors:
        raise ValidationError(errors)
    article = Article.objects.create(
        code=code, category=category_obj, title_zh=title_zh.strip(), title_en=(title_en or "").strip(),
        answer_zh=answer_zh.strip(), answer_en=(answer_en or "").strip(), owner=owner or user, active=active,
    )  # fmt: skip
    _questions_replace(article, cleaned)
    return article


_UNSET = object()


@transaction.atomic
def article_update(
    *,
    article: Article,
    code=_UNSET,
    category=_UNSET,
    title_zh=_UNSET,
    answer_zh=_UNSET,
    title_en=_UNSET,
    answer_en=_UNSET,
    questions=None,
    owner=_UNSET,
    active=_UNSET,
    user=None,
) -> Article:
    """Change what is given; `questions` (when given) replaces the question variants."""
    values = {
        "code": article.code if code is _UNSET else (code or "").strip(),
        "category": article.category if category is _UNSET else _category_resolve(category),
        "title_zh": article.title_zh if title_zh is _UNSET else (title_zh or "").strip(),
        "answer_zh": article.answer_zh if answer_zh is _UNSET else (answer_zh or "").strip(),
        "title_en": article.title_en if title_en is _UNSET else (title_en or "").strip(),
        "answer_en": article.answer_en if answer_en is _UNSET else (answer_en or "").strip(),
        "owner": article.owner if owner is _UNSET else owner,
        "active": article.active if active is _UNSET else bool(active),
    }
    cleaned = None if questions is None else _questions_clean(questions)
    errors = _article_validate(
        article=article, code=values["code"], category=values["category"], title_zh=values["title_zh"],
        answer_zh=values["answer_zh"], questions=cleaned,
    )  # fmt: skip
    if errors:
        raise ValidationError(errors)
    for field, value in values.items():
        setattr(article, field, value)
    # updated_at always moves, so the search index notices changed question variants too.
    article.save()
    if cleaned is not None:
        _questions_replace(article, cleaned)
    return article


@transaction.atomic
def kb_defaults_load() -> int:
    """Create or update the default FAQ articles (`service.kb_defaults`) by code; returns how many."""
    from service.kb_defaults import ARTICLES, CATEGORIES

    categories = {}
    for code, name in CATEGORIES:
        category, _created = ArticleCategory.objects.update_or_create(code=code, defaults={"name": name})
        categories[code] = category
    for item in ARTICLES:
        questions = [(q, "zh") for q in item["questions_zh"]] + [(q, "en") for q in item["questions_en"]]
        fields = {
            "category": categories[item["category"]],
            "title_zh": item["title_zh"],
            "title_en": item["title_en"],
            "answer_zh": item["answer_zh"],
            "answer_en": item["answer_en"],
        }
        article = Article.objects.filter(code=item["code"]).first()
        if article is None:
            article = Article.objects.create(code=item["code"], **fields)
        elif any(getattr(article, field) != value for field, value in fields.items()):
            for field, value in fields.items():
                setattr(article, field, value)
            article.save()
        _questions_replace(article, questions)
    return len(ARTICLES)
