"""The Simplified Chinese catalogue: complete, compiled, in step with the source, and used by the pages.

The catalogue lives in locale/zh_Hans/LC_MESSAGES/ (Django's locale directory name for the language code
zh-hans). Regenerate it with
`uv run manage.py makemessages -l zh_Hans --ignore=.venv --ignore=staticfiles --ignore=var --no-obsolete`,
translate, then `uv run manage.py compilemessages -l zh_Hans --ignore=.venv`.
"""

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User

from conftest import login_verified

LOCALE = "zh_Hans"
LANGUAGE_CODE = "zh-hans"
BASE_DIR = Path(settings.BASE_DIR)
LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
PO_PATH = LOCALE_DIR / LOCALE / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")

# The same ignores as the documented makemessages command.
MAKEMESSAGES_IGNORES = [".venv", "staticfiles", "var"]
# What the temporary copy of the project leaves out: makemessages never reads these (the django domain
# only reads .py, .html and .txt files, and skips dot-directories).
COPY_SKIP_DIRS = {".venv", "staticfiles", "var", "node_modules", "__pycache__", "test-results"}
COPY_SUFFIXES = {".py", ".html", ".txt", ".po"}

PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]")


def _entry_key(entry: polib.POEntry) -> tuple[str | None, str, str]:
    return (entry.msgctxt, entry.msgid, entry.msgid_plural)


def _describe(key: tuple[str | None, str, str]) -> str:
    msgctxt, msgid, _plural = key
    return f"{msgctxt}|{msgid}" if msgctxt else msgid


@pytest.fixture(scope="module")
def po() -> polib.POFile:
    assert PO_PATH.is_file(), f"{PO_PATH} is missing: run makemessages -l {LOCALE}"
    return polib.pofile(str(PO_PATH))


def test_header_declares_chinese_and_one_plural_form(po):
    assert po.metadata.get("Language") == LOCALE
    assert "charset=UTF-8" in po.metadata.get("Content-Type", "")
    assert po.metadata.get("Plural-Forms", "").replace(" ", "") == "nplurals=1;plural=0;"
    assert not po.metadata_is_fuzzy, "the header is still marked fuzzy"


def test_every_entry_is_translated_and_none_is_fuzzy(po):
    entries = [e for e in po if not e.obsolete]
    assert entries, "the catalogue is empty"
    untranslated = []
    for entry in entries:
        if entry.msgid_plural:
            if not entry.msgstr_plural.get(0, "").strip():
                untranslated.append(entry.msgid)
        elif not entry.msgstr.strip():
            untranslated.append(entry.msgid)
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    assert untranslated == [], f"{len(untranslated)} untranslated entries: {untranslated}"
    assert fuzzy == [], f"{len(fuzzy)} fuzzy entries: {fuzzy}"


def test_translations_keep_their_placeholders(po):
    broken = []
    for entry in po:
        if entry.obsolete:
            continue
        expected = sorted(PLACEHOLDER.findall(entry.msgid))
        if entry.msgid_plural:
            translations = [entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural)]
        else:
            translations = [entry.msgstr]
        for msgstr in translations:
            if msgstr and sorted(PLACEHOLDER.findall(msgstr)) != expected:
                broken.append((entry.msgid, msgstr))
    assert broken == [], f"placeholders differ between msgid and msgstr: {broken}"


def _load_mo(path: Path) -> gettext.GNUTranslations:
    with path.open("rb") as fp:
        return gettext.GNUTranslations(fp)


def _messages(translations: gettext.GNUTranslations) -> set[tuple]:
    """The (msgid, msgstr) pairs of a compiled catalogue, without the header (compared separately)."""
    return {(msgid, msgstr) for msgid, msgstr in translations._catalog.items() if msgid != ""}


def test_compiled_catalogue_is_up_to_date(po, tmp_path):
    assert MO_PATH.is_file(), f"{MO_PATH} is missing: run compilemessages -l {LOCALE}"
    fresh_mo = tmp_path / "django.mo"
    po.save_as_mofile(str(fresh_mo))
    committed, fresh = _load_mo(MO_PATH), _load_mo(fresh_mo)
    stale = _messages(committed) ^ _messages(fresh)
    assert stale == set(), (
        f"django.mo differs from django.po in {len(stale)} messages: run compilemessages -l {LOCALE}"
    )
    assert committed.info().get("plural-forms") == fresh.info().get("plural-forms")


def _copy_project(destination: Path) -> None:
    def ignore(directory, names):
        skipped = []
        for name in names:
            path = Path(directory) / name
            if path.is_dir():
                if name in COPY_SKIP_DIRS or name.startswith("."):
                    skipped.append(name)
            elif path.suffix not in COPY_SUFFIXES:
                skipped.append(name)
        return skipped

    shutil.copytree(BASE_DIR, destination, ignore=ignore)


def test_catalogue_covers_the_source(po, tmp_path):
    """makemessages, run on a temporary copy of the project, finds no message the committed .po lacks."""
    tools = ["xgettext", "msguniq", "msgmerge"]
    missing_tools = [tool for tool in tools if shutil.which(tool) is None]
    if missing_tools:
        reason = f"GNU gettext ({', '.join(missing_tools)}) is not installed; makemessages needs it"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)

    project = tmp_path / "project"
    _copy_project(project)
    committed_po_before = PO_PATH.read_bytes()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shopops.settings.test",
        "PYTHONPATH": str(project),
    }
    command = [sys.executable, "-m", "django", "makemessages", "-l", LOCALE, "--no-obsolete"]
    command += [f"--ignore={pattern}" for pattern in MAKEMESSAGES_IGNORES]
    result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"makemessages failed:\n{result.stdout}\n{result.stderr}"

    # makemessages writes into the copy's LOCALE_PATHS (BASE_DIR / "locale" of the copy), never into ours.
    regenerated_path = project / PO_PATH.relative_to(BASE_DIR)
    assert regenerated_path.is_file(), f"makemessages did not write {regenerated_path}:\n{result.stdout}"
    assert PO_PATH.read_bytes() == committed_po_before, "makemessages touched the committed catalogue"

    regenerated = {_entry_key(e) for e in polib.pofile(str(regenerated_path)) if not e.obsolete}
    committed = {_entry_key(e) for e in po if not e.obsolete}
    missing = sorted(_describe(key) for key in regenerated - committed)
    assert missing == [], (
        f"{len(missing)} messages in the source are missing from {PO_PATH.relative_to(BASE_DIR)}: "
        f"{missing}. Run makemessages -l {LOCALE}, translate them and run compilemessages."
    )


@pytest.mark.django_db
def test_dashboard_renders_in_chinese(client):
    user = User.objects.create_user(username="zh-manager", password="pw-123456789")
    user.groups.add(Group.objects.get(name="manager"))
    login_verified(client, user)

    response = client.post("/i18n/setlang/", {"language": LANGUAGE_CODE, "next": "/"})
    assert response.status_code == 302
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()

    assert f'lang="{LANGUAGE_CODE}"' in html
    for label in ("仪表盘", "订单", "报表"):  # Dashboard, Orders, Reports
        assert label in html, f"{label!r} missing from the Chinese dashboard"
    assert "退出登录" in html
    assert "Log out" not in html
