"""Personal data at rest: encrypted columns and the keyed hashes beside them.

Customers' names, phones and emails and orders' shipping addresses are stored encrypted with Fernet
(AES-128-CBC + HMAC-SHA256, django-fernet-encrypted-fields). The keys come from
``settings.FIELD_ENCRYPTION_KEYS`` (Fernet keys, newest first): the first key encrypts, every key decrypts,
so a key is rotated by putting a new one in front and running ``manage.py rotate_pii_keys``, which
re-encrypts every value with it; the old key can be dropped afterwards. With no keys configured (DEBUG,
tests, the demo) one is derived from SECRET_KEY; production settings require them.

Ciphertext cannot be searched: every encrypted column that is looked up by value has a keyed hash beside it
(HMAC-SHA256 with ``settings.PII_HASH_KEY``, a separate key, of the normalised value; truncated to 128 bits)
with an index. An exact search hashes the query the same way (`pii_hash`) and compares hashes — no LIKE on
ciphertext. The encrypted fields refuse lookups other than isnull and "is blank" so that a forgotten
`phone__contains` fails loudly instead of silently finding nothing.

Code that writes these columns with raw SQL encrypts in Python first (`encrypt`); shopops.common.bulk does
so itself for the models' encrypted fields.
"""

import base64
import hashlib
import hmac
import logging
import re
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models
from django.db.models import Q
from django.db.models.lookups import Exact, IsNull
from encrypted_fields.fields import EncryptedFieldMixin

logger = logging.getLogger(__name__)

# Fernet tokens are base64 of a 0x80 version byte and a timestamp: they all start like this.
TOKEN_PREFIX = "gAAAAA"  # noqa: S105 (not a secret)
HASH_LENGTH = 32  # hex characters: 128 bits of the HMAC


def _derived(purpose: str) -> bytes:
    secret = settings.SECRET_KEY
    if not secret:
        raise ImproperlyConfigured(
            "Personal data needs FIELD_ENCRYPTION_KEYS and PII_HASH_KEY (or at least a SECRET_KEY to derive "
            "development keys from)."
        )
    return hmac.new(secret.encode(), f"shopops.pii.{purpose}".encode(), hashlib.sha256).digest()


def fernet_keys() -> tuple[str, ...]:
    """The configured Fernet keys, newest (the encrypting one) first; a derived one when none are set."""
    keys = tuple(k.strip() for k in (getattr(settings, "FIELD_ENCRYPTION_KEYS", None) or ()) if k.strip())
    if keys:
        return keys
    return (base64.urlsafe_b64encode(_derived("fernet")).decode(),)


@lru_cache(maxsize=8)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64-encoded bytes each; make one with "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)."
        ) from exc


def fernet() -> MultiFernet:
    return _fernet_for(fernet_keys())


def hash_key_text() -> str:
    """PII_HASH_KEY, or (none set) one derived from SECRET_KEY."""
    return getattr(settings, "PII_HASH_KEY", "") or _derived("hash").hex()


def hash_key() -> bytes:
    return hash_key_text().encode()


@lru_cache(maxsize=8)
def _hmac_for(key: bytes):
    """An HMAC keyed once; each hash copies it (half the cost of keying a new one per value)."""
    return hmac.new(key, digestmod=hashlib.sha256)


def is_token(value) -> bool:
    return isinstance(value, str) and value.startswith(TOKEN_PREFIX)


def encrypt(value: str | None) -> str | None:
    """A value as it is stored: blank stays blank (and None None), anything else a Fernet token."""
    if value is None or value == "":
        return value
    return fernet().encrypt(str(value).encode()).decode()


def decrypt(value: str | None) -> str | None:
    """A stored value in clear; a value that is not a token (blank, or not yet encrypted) as it is."""
    if not value or not isinstance(value, str):
        return value
    try:
        return fernet().decrypt(value.encode()).decode()
    except InvalidToken:
        if is_token(value):
            logger.error(
                "An encrypted value could not be decrypted: is a key missing from FIELD_ENCRYPTION_KEYS?"
            )
        return value


def decrypt_strict(value: str | None) -> str | None:
    """decrypt(), but a token no configured key opens is an error (a key is missing), never passed on as
    if it were the value in clear: for code that re-encrypts what it reads."""
    if not value or not is_token(value):
        return value
    try:
        return fernet().decrypt(value.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "A stored value cannot be decrypted with any of FIELD_ENCRYPTION_KEYS: is a key missing?"
        ) from exc


def reencrypt(value: str | None) -> str | None:
    """The value encrypted with the first key (MultiFernet.rotate); a value in clear gets encrypted."""
    if not value:
        return value
    if not is_token(value):
        return encrypt(value)
    return fernet().rotate(value.encode()).decode()


def token_key_index(value: str) -> int | None:
    """Which configured key (0 = the first) decrypts a token, or None."""
    for index, key in enumerate(fernet_keys()):
        try:
            Fernet(key.encode()).decrypt(value.encode())
        except InvalidToken:
            continue
        return index
    return None


# --- keyed hashes ---------------------------------------------------------------------------------------

_NOT_DIGITS = re.compile(r"\D+")


def normalize(kind: str, value: str | None) -> str:
    """What a search must match exactly: phone → digits only; email → trimmed, lower case; name → single
    spaces, case-folded; address → no whitespace, case-folded (as finance's risk rules compare them)."""
    value = (value or "").strip()
    if kind == "phone":
        return _NOT_DIGITS.sub("", value)
    if kind == "email":
        return value.lower()
    if kind == "name":
        return " ".join(value.split()).casefold()
    if kind == "address":
        return "".join(value.split()).casefold()
    raise ValueError(f"Unknown kind of personal data: {kind!r}")


def pii_hash(kind: str, value: str | None) -> str:
    """The keyed hash stored beside an encrypted value (blank for a blank value)."""
    normalized = normalize(kind, value)
    if not normalized:
        return ""
    mac = _hmac_for(hash_key()).copy()
    mac.update(f"{kind}:{normalized}".encode())
    return mac.hexdigest()[:HASH_LENGTH]


def hash_match(query: str, *, prefix: str = "", kinds=("name", "phone", "email")) -> Q | None:
    """A Q matching rows whose `<prefix><kind>_hash` equals the query's hash as each kind (exact match on
    the normalised value: a phone with or without separators, an email in any case), or None when the
    query normalises to nothing for every kind (no digits for a phone…)."""
    match = None
    for kind in kinds:
        digest = pii_hash(kind, query)
        if digest:
            condition = Q(**{f"{prefix}{kind}_hash": digest})
            match = condition if match is None else match | condition
    return match


# --- model fields ---------------------------------------------------------------------------------------


class _BlankOnlyExact(Exact):
    """`field=""` still works (blank values are stored blank); any other value cannot be found by equality
    on ciphertext (every encryption is different): search through the hash column."""

    def get_prep_lookup(self):
        if self.rhs not in ("", None):
            raise FieldError(
                f"{self.lhs.target.model.__name__}.{self.lhs.target.name} is encrypted: look it up through "
                f"its hash column ({self.lhs.target.name}_hash = pii_hash(...))."
            )
        return super().get_prep_lookup()


class _KeysFromSettings(EncryptedFieldMixin):
    """The library's field with ShopOps' keys (FIELD_ENCRYPTION_KEYS, not derived from SECRET_KEY and the
    salt), blanks stored blank (the columns stay NOT NULL), and lookups on ciphertext refused."""

    @property
    def keys(self) -> list[bytes]:
        return [key.encode() for key in fernet_keys()]

    @property
    def f(self) -> MultiFernet:
        return fernet()

    def get_prep_value(self, value):
        if value is None or value == "":
            return value
        return super().get_prep_value(value)

    def to_python(self, value):
        if value is None or value == "" or not isinstance(value, str):
            return value
        if hasattr(self, "_already_decrypted") or not is_token(value):
            return models.Field.to_python(self, value)
        return decrypt(value)

    def get_lookup(self, lookup_name):
        if lookup_name == "exact":
            return _BlankOnlyExact
        if lookup_name == "isnull":
            return IsNull
        return None

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, f"shopops.common.pii.{type(self).__name__}", args, kwargs


class EncryptedCharField(_KeysFromSettings, models.CharField):
    pass


class EncryptedEmailField(_KeysFromSettings, models.EmailField):
    pass


def is_encrypted(field) -> bool:
    return isinstance(field, EncryptedFieldMixin)


# --- key rotation ---------------------------------------------------------------------------------------


def encrypted_models():
    """(model, [encrypted fields]) for every installed model with encrypted fields."""
    from django.apps import apps

    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if is_encrypted(f)]
        if fields:
            yield model, fields


def rotate_model(model, fields, *, batch: int = 2000) -> dict[str, int]:
    """Re-encrypt every value of `fields` that the first key did not encrypt (with the first key), and
    rewrite the hash columns beside them where they differ (PII_HASH_KEY changed). One transaction per
    batch of rows, by primary key: safe to interrupt and run again. Returns counts of rows read,
    values re-encrypted and hashes rewritten."""
    from django.db import connection, transaction

    q = connection.ops.quote_name
    kinds = getattr(model, "PII_FIELDS", {})
    columns = [(f.column, f"{f.name}_hash" if f.name in kinds else None, kinds.get(f.name)) for f in fields]
    selected = [c for column, hashed, _kind in columns for c in ([column, hashed] if hashed else [column])]
    table, pk = q(model._meta.db_table), q(model._meta.pk.column)
    select = (
        f"SELECT {pk}, {', '.join(q(c) for c in selected)} FROM {table} "  # noqa: S608 (model metadata)
        f"WHERE {pk} > %s ORDER BY {pk} LIMIT %s"
    )
    update = f"UPDATE {table} SET {', '.join(f'{q(c)} = %s' for c in selected)} WHERE {pk} = %s"  # noqa: S608
    first = Fernet(fernet_keys()[0].encode())
    counts = {"rows": 0, "reencrypted": 0, "hashes": 0}
    last = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                select + " FOR UPDATE" if connection.vendor == "postgresql" else select, [last, batch]
            )
            rows = cursor.fetchall()
            if not rows:
                return counts
            last = rows[-1][0]
            changed = []
            for pk_value, *values in rows:
                counts["rows"] += 1
                stored = iter(values)
                new_values, dirty = [], False
                for _column, hashed, kind in columns:
                    value = next(stored)
                    plain, new = "", value
                    if value:
                        try:
                            plain = first.decrypt(value.encode()).decode()
                        except InvalidToken:
                            plain = decrypt_strict(value)
                            new = encrypt(plain)
                            counts["reencrypted"] += 1
                            dirty = True
                    new_values.append(new)
                    if hashed:
                        old_hash, new_hash = next(stored), pii_hash(kind, plain)
                        if old_hash != new_hash:
                            counts["hashes"] += 1
                            dirty = True
                        new_values.append(new_hash)
                if dirty:
                    changed.append([*new_values, pk_value])
            if changed:
                cursor.executemany(update, changed)


def rotate_all(*, batch: int = 2000) -> dict[str, dict[str, int]]:
    """rotate_model for every model with encrypted fields: {"app.Model": counts}."""
    return {
        model._meta.label: rotate_model(model, fields, batch=batch) for model, fields in encrypted_models()
    }
