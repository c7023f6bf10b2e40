"""Text for service: language, tokens, sentiment, keywords. Chinese with jieba and SnowNLP, English with
VADER; the models ship inside the packages.

The analysers are loaded lazily, once per process: importing jieba's dictionary and SnowNLP's classifier
takes seconds and most requests never need them."""

import logging
import re
import threading
import warnings
from decimal import ROUND_HALF_UP, Decimal

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_EN_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_PLACES = Decimal("0.0001")
_ZH_NEGATION = re.compile("[不没别未]")

_lock = threading.Lock()
_jieba = None
_vader = None
_snownlp = None


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


ZH_STOP = frozenset(
    _words(
        """
        的 了 吗 呢 吧 啊 呀 哦 嗯 么 嘛 是 我 你 您 他 她 它 我们 你们 这 那 这个 那个 就 都 也 还
        和 与 及 或 在 有 要 想 能 会 可以 可 请问 请 问 一下 一个 下 个 把 被 给 让 对 从 到了 如何
        怎么 怎么样 怎样 什么 啥 为什么 哪 哪里 哪儿 多少 亲 你好 您好 谢谢 好的 好 在吗 客服 上 又
        再 没 已经 自己
        """
    )
)
EN_STOP = frozenset(
    _words(
        """
        a an the and or but if of to in on at by for from with about as into is are was were be been being
        am do does did doing have has had having i me my we our you your he she it its they them their this
        that these those there here what which who whom when where why how can could would should will shall
        may might must please hi hello thanks thank any some s t just so not no yes too very get got don doesn
        didn isn aren wasn weren hasn haven hadn won wouldn couldn shouldn ll ve re d m
        """
    )
)

# SnowNLP's classifier was trained on product reviews and reads most plain questions ("退款多久到账")
# as strongly negative. Without an opinion word in the text its score is shrunk, so a neutral question
# never looks like an upset customer; with one, the cue decides the sign and SnowNLP the strength.
ZH_NEGATIVE_CUES = _words(
    """
    不满意 不满 不好 不行 不爽 不靠谱 差劲 太差 很差 好差 真差 质量差 差评 失望 垃圾 生气 气死 愤怒
    恶心 骗子 骗人 欺骗 坑人 太坑 太慢 太烂 烂 投诉 无语 崩溃 糟糕 难用 难看 后悔 忍无可忍 受够 举报
    曝光 再也不 什么破 破玩意 太过分 过分 敷衍 不负责 没人管 没人回 态度差 态度恶劣 讨厌 烦死 坑爹
    """
)
ZH_POSITIVE_CUES = _words(
    """
    满意 很好 非常好 不错 挺好 好评 喜欢 漂亮 好看 舒服 感谢 谢谢 赞 棒 完美 推荐 超值 划算 贴心
    耐心 给力 开心 惊喜 值得 快速 很快
    """
)
_ZH_NEUTRAL_SHRINK = Decimal("0.25")
_ZH_MIXED_SHRINK = Decimal("0.5")
_ZH_CUE_FLOOR = Decimal("0.5")


def _jieba_module():
    global _jieba
    if _jieba is None:
        with _lock:
            if _jieba is None:
                with warnings.catch_warnings():
                    # jieba's sources hold old-style regex escapes; Python warns when it compiles them.
                    warnings.simplefilter("ignore", DeprecationWarning)
                    warnings.simplefilter("ignore", SyntaxWarning)
                    import jieba

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba = jieba
    return _jieba


def _vader_analyzer():
    global _vader
    if _vader is None:
        with _lock:
            if _vader is None:
                from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

                _vader = SentimentIntensityAnalyzer()
    return _vader


def _snownlp_class():
    global _snownlp
    if _snownlp is None:
        with _lock:
            if _snownlp is None:
                from snownlp import SnowNLP

                _snownlp = SnowNLP
    return _snownlp


def language_of(text: str) -> str:
    """'zh' when the text holds CJK characters, else 'en'."""
    return "zh" if _CJK.search(text or "") else "en"


def _en_stem(word: str) -> str:
    # Naive plural stripping is enough for matching FAQ questions ("parcels" ~ "parcel").
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _en_tokens(text: str) -> list[str]:
    out = []
    for word in _EN_WORD.findall(text.lower()):
        word = word.split("'")[0]
        if word in EN_STOP or not word:
            continue
        out.append(_en_stem(word))
    return out


def tokens(text: str) -> list[str]:
    """Search tokens: jieba words for Chinese, lower-cased words for English; stop words dropped."""
    text = (text or "").strip()
    if not text:
        return []
    if language_of(text) == "en":
        return _en_tokens(text)
    out = []
    for piece in _jieba_module().cut_for_search(text):
        piece = piece.strip().lower()
        if not piece:
            continue
        if _CJK.search(piece):
            if piece not in ZH_STOP:
                out.append(piece)
        else:
            # Latin words and numbers inside Chinese text ("S码", "iPhone") still count.
            out.extend(_en_tokens(piece))
    return out


def _quantize(value) -> Decimal:
    value = Decimal(str(value))
    value = max(Decimal(-1), min(Decimal(1), value))
    return value.quantize(_PLACES, rounding=ROUND_HALF_UP)


def _zh_cues(text: str) -> tuple[int, int]:
    rest = text
    negative = 0
    for cue in ZH_NEGATIVE_CUES:
        if cue in rest:
            negative += rest.count(cue)
            # "不满意" must not count again as the positive "满意".
            rest = rest.replace(cue, " ")
    positive = 0
    for cue in ZH_POSITIVE_CUES:
        for found in re.finditer(re.escape(cue), rest):
            # "不太满意", "没那么喜欢": a negation just before the cue turns it round.
            if _ZH_NEGATION.search(rest[max(0, found.start() - 3) : found.start()]):
                negative += 1
            else:
                positive += 1
    return positive, negative


def _zh_sentiment(text: str) -> Decimal:
    raw = Decimal(str(_snownlp_class()(text).sentiments)) * 2 - 1
    positive, negative = _zh_cues(text)
    if positive == negative == 0:
        return raw * _ZH_NEUTRAL_SHRINK
    if positive == negative:
        return raw * _ZH_MIXED_SHRINK
    strength = max(abs(raw), _ZH_CUE_FLOOR)
    return strength if positive > negative else -strength


def sentiment(text: str) -> Decimal:
    """-1 (very negative) to 1 (very positive), 4 places."""
    text = (text or "").strip()
    if not text:
        return _quantize(0)
    if language_of(text) == "zh":
        return _quantize(_zh_sentiment(text))
    return _quantize(_vader_analyzer().polarity_scores(text)["compound"])
