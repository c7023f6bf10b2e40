"""service.nlp: language, search tokens and sentiment for Chinese and English customer text."""

from decimal import Decimal

import pytest

from service import nlp
from service.models import ServiceSettings

NEGATIVE_DEFAULT = ServiceSettings._meta.get_field("negative_sentiment").default
TICKET_DEFAULT = ServiceSettings._meta.get_field("ticket_sentiment").default


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("快递什么时候到", "zh"),
        ("My parcel has not arrived", "en"),
        ("iPhone壳S码还有货吗", "zh"),  # mixed: CJK present
        ("Order 12345 ok?", "en"),
        ("", "en"),
    ],
)
def test_language_of(text, language):
    assert nlp.language_of(text) == language


def test_tokens_chinese_drop_stop_words_and_keep_search_words():
    tokens = nlp.tokens("请问我的快递什么时候能到？")
    assert "快递" in tokens
    for stop in ("请问", "我", "的", "能", "？"):
        assert stop not in tokens


def test_tokens_chinese_cut_for_search_gives_sub_words():
    tokens = nlp.tokens("七天无理由退货")
    assert "退货" in tokens
    assert "七天" in tokens


def test_tokens_english_lower_case_stop_words_and_plurals():
    assert nlp.tokens("How long do REFUNDS take for my Parcels?") == ["long", "refund", "take", "parcel"]
    assert nlp.tokens("Which deliveries are late") == ["delivery", "late"]
    assert nlp.tokens("I don't like the dresses") == ["like", "dress"]


def test_tokens_latin_inside_chinese_text():
    assert "iphone" in nlp.tokens("iPhone手机壳什么时候发货")


def test_tokens_empty():
    assert nlp.tokens("") == []
    assert nlp.tokens("   ") == []


@pytest.mark.parametrize(
    "text",
    [
        "质量太差了，非常失望，我要退货",
        "垃圾商家，再也不买了",
        "你们客服太慢了，气死我了，我要投诉",
        "衣服洗了一次就掉色，太坑了",
        "This is terrible, I am very angry and disappointed",
        "Worst shop ever, the dress is awful and nobody answers",
    ],
)
def test_clearly_negative_below_the_ticket_threshold(text):
    score = nlp.sentiment(text)
    assert score < TICKET_DEFAULT < NEGATIVE_DEFAULT < 0


@pytest.mark.parametrize(
    "text",
    [
        "很好，非常满意，谢谢",
        "衣服很漂亮，物流很快，好评",
        "Great quality, thank you so much!",
        "I love this dress, the delivery was fast",
    ],
)
def test_clearly_positive(text):
    assert nlp.sentiment(text) > Decimal("0.3")


@pytest.mark.parametrize(
    "text",
    [
        "快递什么时候到",
        "退款多久到账",
        "可以开发票吗",
        "我想改一下收货地址",
        "买了之后降价了能补差价吗",
        "怎么取消订单",
        "When will my parcel arrive?",
        "Can I get an invoice?",
    ],
)
def test_plain_questions_are_not_negative(text):
    # SnowNLP alone reads these as strongly negative; the auto-reply must not hand them over.
    assert nlp.sentiment(text) >= NEGATIVE_DEFAULT


def test_negated_praise_is_negative():
    assert nlp.sentiment("不太满意") < 0


def test_sentiment_is_a_four_place_decimal_in_range():
    for text in ("好", "差评", "ok", "", "！！！"):
        score = nlp.sentiment(text)
        assert isinstance(score, Decimal)
        assert score == score.quantize(Decimal("0.0001"))
        assert Decimal(-1) <= score <= Decimal(1)
    assert nlp.sentiment("") == Decimal("0.0000")


def test_sentiment_is_stable():
    assert nlp.sentiment("质量太差了") == nlp.sentiment("质量太差了")
