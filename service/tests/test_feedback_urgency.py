"""urgency_grade: the table of rules (pure, no database)."""

from decimal import Decimal

import pytest

from service.services.feedback import risk_words, urgency_grade

D = Decimal


@pytest.mark.parametrize(
    ("sentiment", "rating", "text", "expected"),
    [
        # critical: safety, law, regulators, press - whatever the rating, unless clearly positive
        (D("-0.0091"), 1, "充电器用的时候起火了，差点烧到孩子", "critical"),
        (D("-0.2000"), None, "再不处理我就打12315", "critical"),
        (D("0.1000"), 3, "要去工商局投诉你们", "critical"),
        (D("-0.5000"), 2, "孩子用了皮肤过敏，起红疹", "critical"),
        (D("-0.3400"), None, "The charger caught fire and my son got burned.", "critical"),
        (D("-0.1000"), None, "My lawyer will contact you.", "critical"),
        (D("0.2000"), 4, "Slight rash after use, allergic maybe", "critical"),
        # a risk word in a clearly positive item: a person may glance at it, nothing more
        (D("0.5548"), 5, "宝宝用了不过敏，很好，很满意", "normal"),
        (D("0.8000"), None, "No fire risk at all, great heater!", "normal"),
        # high: complaint and fraud words, strongly negative, or a low rating that is negative
        (D("-0.1000"), 3, "这是假货吧", "high"),
        (D("0.0000"), None, "退款不到账，已经一周了", "high"),
        (D("-0.2000"), None, "This is a fake, total scam", "high"),
        (D("-0.6001"), None, "Terrible, never again", "high"),
        (D("-0.3001"), 2, "不太好用", "high"),
        (D("-0.3001"), 1, "Not good", "high"),
        # normal: not good news, but nothing urgent
        (D("-0.3000"), 2, "一般般", "normal"),  # exactly at the threshold is not below it
        (D("-0.5000"), None, "包装有点破", "normal"),
        (D("-0.0100"), 4, "还行", "normal"),
        (D("0.5000"), 3, "It's okay I guess", "normal"),
        (D("0.9000"), 1, "Great!", "normal"),  # a 1-star rating with praise is probably a mistake
        (D("-0.6000"), None, "Meh", "normal"),  # exactly at the ticket threshold is not below it
        # low: neutral or positive with no rating or 4-5 stars
        (D("0.0000"), None, "收到了", "low"),
        (D("0.9831"), 5, "非常满意，质量很好，物流很快", "low"),
        (D("0.9078"), 4, "Love it! Great quality and fast delivery.", "low"),
        (D("0.8000"), 5, "Shocked how good it is: press the button and it hurts no one", "low"),
    ],
)
def test_urgency_grade(sentiment, rating, text, expected):
    assert urgency_grade(sentiment=sentiment, rating=rating, text=text) == expected


def test_thresholds_come_from_the_arguments():
    text = "不太好用"
    assert urgency_grade(sentiment=D("-0.4000"), rating=None, text=text) == "normal"
    assert urgency_grade(sentiment=D("-0.4000"), rating=None, text=text, strong=D("-0.3000")) == "high"
    assert urgency_grade(sentiment=D("-0.2000"), rating=2, text=text, negative=D("-0.1000")) == "high"


def test_english_risk_words_are_whole_words():
    assert risk_words("The fireplace photo was fake") == ([], ["fake"])
    assert risk_words("It suede looks nice") == ([], [])
    assert risk_words("Got INJURED, calling my Lawyer") == (["injured", "lawyer"], [])
    assert risk_words("差评！要投诉到12315") == (["12315"], ["投诉", "差评"])
