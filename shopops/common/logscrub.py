"""Logs never carry API keys, phone numbers, emails or addresses: `ScrubFilter` rewrites every record.

Installed on the root logger's handlers (settings.LOGGING, filter "scrub") and on gunicorn's
(gunicorn.conf.py), it replaces, in the formatted message (the format string with its arguments), the
exception text and the stack text of each record:

- API keys: `Api-Key <anything>`, and bare `<8 letters or digits>.<32 letters or digits>` tokens (the shape
  djangorestframework-api-key generates), and the value of any Authorization header;
- mainland mobile numbers: 1[3-9] and 9 more digits, with an optional +86 / 86 and spaces or dashes between;
- emails;
- addresses, recognised two ways: the value of a field whose name says it is personal (address, phone,
  mobile, email, receiver..., contact...) in JSON, dict reprs and query strings; and Chinese addresses — a run
  of Chinese characters naming a province/city/district/county/town or a road/street with a number after it
  (`…省…市…区…路100号`).

Request bodies are never logged by ShopOps itself (django.request logs the path, not the body); the
scrubber is the net for everything else (an exception message quoting a payload, a library logging a header).
It imports nothing from Django, so gunicorn's master process can load it.
"""

import logging
import re
from urllib.parse import unquote_plus

REDACTED = "[redacted]"

# Field names whose values are personal data or secrets, wherever they appear as key=value or "key": value.
_SENSITIVE_NAME = (
    r"[A-Za-z_]*(?:address|phone|mobile|email|receiver|contact|authorization|api_key|apikey)[A-Za-z_]*"
)

_CJK = "\u3400-\u9fff\uf900-\ufaff"
# letters, digits and the marks of an address; a space only before a digit or a Chinese character
_ADDRESS_CHARS = rf"(?:[{_CJK}0-9０-９A-Za-z\-#()（）]| (?=[0-9０-９{_CJK}]))"

_PATTERNS: list[tuple[re.Pattern, str]] = [
    # "phone": "138...", 'address': '...', "email":"..." (JSON, Python reprs); the key is kept
    (
        re.compile(
            rf"""(?P<key>(["']){_SENSITIVE_NAME}\2\s*[:=]\s*)(?P<q>["'])(?:\\.|(?!(?P=q)).)*(?P=q)""", re.I
        ),
        rf"\g<key>\g<q>{REDACTED}\g<q>",
    ),
    # phone=138...&address=... (query strings, form bodies, key=value log lines)
    (re.compile(rf"(?P<key>\b{_SENSITIVE_NAME}=)[^&\s'\"]*", re.I), rf"\g<key>{REDACTED}"),
    # Authorization: <anything> (a header line, or HTTP_AUTHORIZATION in a META dump)
    (re.compile(r"(?P<key>authorization\s*[:=]\s*)(?![\"'])[^\n,;}]+", re.I), rf"\g<key>{REDACTED}"),
    # Api-Key <prefix>.<secret>, whatever follows the keyword
    (re.compile(r"(?P<key>Api-Key)\s+[^\s'\",;}]+", re.I), rf"\g<key> {REDACTED}"),
    # a bare key: 8 letters or digits, a dot, 32 letters or digits
    (re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{8}\.[A-Za-z0-9]{32}(?![A-Za-z0-9])"), REDACTED),
    # emails
    (re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"), REDACTED),
    # mainland mobile numbers: +86 138 1234 5678, 86-138-1234-5678, 13812345678 (not inside a longer number)
    (re.compile(r"(?<![0-9])(?:\+?86[\s\-]?)?1[3-9][0-9](?:[\s\-]?[0-9]){8}(?![0-9])"), REDACTED),
    # Chinese addresses: a division or road name then a number (上海市浦东新区世纪大道100号3楼)
    (
        re.compile(
            rf"[{_CJK}]+(?:省|市|区|县|镇|乡|村|路|街|道|巷|弄|里)"
            rf"{_ADDRESS_CHARS}*?[0-9０-９]+{_ADDRESS_CHARS}*"
        ),
        REDACTED,
    ),
]


# A percent-encoded query-string value (?q=%E4%B8%8A%E6%B5%B7...): decoded, scrubbed, redacted if it held any.
_ENCODED_VALUE = re.compile(r"(?P<key>[?&][^=&\s]+=)(?P<value>[^&\s#'\"]*%[0-9A-Fa-f]{2}[^&\s#'\"]*)")


def _encoded_value(match: re.Match) -> str:
    value = unquote_plus(match["value"])
    return match["key"] + (REDACTED if _scrub_plain(value) != value else match["value"])


def _scrub_plain(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def scrub(text: str) -> str:
    """`text` with every key, phone, email and address replaced by [redacted]."""
    if not text:
        return text
    return _scrub_plain(_ENCODED_VALUE.sub(_encoded_value, text))


class ScrubFilter(logging.Filter):
    """Rewrites each record in place (so that every later handler sees it scrubbed) and lets it through.

    The message is formatted first (`getMessage()`: the arguments may hold the data) and stored without
    arguments; the exception is formatted into `exc_text`, which formatters print instead of formatting
    `exc_info` again.
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_shopops_scrubbed", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep what there is, scrubbed
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = scrub(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        record._shopops_scrubbed = True
        return True
