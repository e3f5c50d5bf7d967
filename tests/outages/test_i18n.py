"""English, French, German, Spanish, Italian, Japanese and Brazilian Portuguese: the language
comes from the switcher's cookie or Accept-Language, every page renders in each, and numbers,
plurals, country names, vocabulary and summaries follow the language.

Over 300 lines: one test per page and language family, and the catalogue checks."""

from __future__ import annotations

import ast
import gettext
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation

from outages import summaries
from outages.detection.timebuckets import floor_to_minute
from tests.factories import (
    IncidentFactory,
    MinuteBucketFactory,
    ServiceFactory,
    ServiceStatusFactory,
)

pytestmark = pytest.mark.django_db

NNBSP = "\u00a0"  # Django's French thousands separator (a no-break space)
LOCALE = Path(settings.BASE_DIR) / "locale"
# Every language but English, the source language of the catalogues.
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


@pytest.fixture
def twitter():
    return ServiceFactory(slug="twitter", name="Twitter")


@pytest.fixture
def incident(twitter):
    now = floor_to_minute(timezone.now())
    minute = now - timedelta(minutes=5)
    for country, count in (("US", 30), ("FR", 12), ("??", 2)):
        MinuteBucketFactory(
            service=twitter, minute=minute, platform="ios", country=country, count=count
        )
    ServiceStatusFactory(
        service=twitter, minute=now, level=2, deviation=3.0, recent=1234, sparkline=[1, 5, 2]
    )
    return IncidentFactory(
        service=twitter,
        started_at=now - timedelta(minutes=30),
        detected_at=now - timedelta(minutes=28),
        peak_at=now - timedelta(minutes=10),
        peak_count=700,
        peak_quarter_at=now - timedelta(minutes=10),
        peak_quarter_count=9801,
        total=26611,
        expected_total=150.0,
        works_total=1200,
        platforms={"web": 0.894, "ios": 0.106},
        problems={"login": 0.45, "loading": 0.3},
        countries=[
            {"country": c, "count": 1000, "expected": 5.0, "ratio": 2.5} for c in ("US", "FR")
        ],
        scope="several",
    )


def test_accept_language_fr_gives_a_french_page(client, twitter):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9,en;q=0.5")
    page = response.content.decode()

    assert '<html lang="fr">' in page
    assert "En panne pour tout le monde, ou juste pour moi" in page
    assert "Réseaux sociaux" in page  # a vocabulary label (gettext_lazy)
    assert "Accept-Language" in response["Vary"]


@pytest.mark.parametrize(
    ("header", "language", "words"),
    [
        ("de-DE,de;q=0.9,en;q=0.5", "de", "Störung für alle oder nur bei mir?"),
        ("es-MX,es;q=0.9", "es", "¿Se cayó para todos o solo para mí?"),
        ("it-IT,it;q=0.9", "it", "È down per tutti o solo per me?"),
        ("ja-JP,ja;q=0.9", "ja", "落ちているのはみんな？それとも自分だけ？"),
        ("pt-BR,pt;q=0.9", "pt-br", "Caiu para todo mundo ou só para mim?"),
        ("pt-PT,pt;q=0.9", "pt-br", "Caiu para todo mundo ou só para mim?"),
    ],
)
def test_accept_language_picks_each_language(client, twitter, header, language, words):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE=header).content.decode()

    assert f'<html lang="{language}">' in page
    assert words in page


def test_an_unsupported_language_falls_back_to_english(client, twitter):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9").content.decode()

    assert '<html lang="en">' in page
    assert "Is it down for everyone, or just me?" in page


def test_the_header_switcher_posts_to_set_language_without_a_per_visitor_token(client, twitter):
    page = client.get("/s/twitter/").content.decode()

    form = re.search(
        r'<form class="language-switch" action="([^"]+)" method="post".*?</form>', page, re.S
    )
    assert form and form.group(1) == "/i18n/setlang/"
    assert 'name="csrfmiddlewaretoken"' not in form.group(0)  # common.cross_origin guards it
    assert '<input type="hidden" name="next" value="/s/twitter/">' in form.group(0)
    assert '<select name="language" aria-label="Language">' in form.group(0)
    offered = re.findall(r'<option value="([^"]+)"', form.group(0))
    assert offered == [code for code, _name in settings.LANGUAGES]
    assert '<option value="en" lang="en" selected>English</option>' in form.group(0)
    assert '<option value="fr" lang="fr">Français</option>' in form.group(0)
    assert '<option value="ja" lang="ja">日本語</option>' in form.group(0)
    assert '<button type="submit">Change</button>' in form.group(0)


def test_the_switcher_sets_the_language_over_accept_language(client, twitter):
    response = client.post("/i18n/setlang/", {"language": "fr", "next": "/s/twitter/"})

    assert response.status_code == 302 and response["Location"] == "/s/twitter/"
    page = client.get("/s/twitter/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="fr">' in page
    assert "Twitter est-il en panne" in page

    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert '<html lang="en">' in client.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()


def test_the_switcher_refuses_a_post_without_csrf_token(twitter):
    response = Client(enforce_csrf_checks=True).post("/i18n/setlang/", {"language": "fr"})

    assert response.status_code == 403


def test_the_switcher_does_not_redirect_off_site(client):
    response = client.post("/i18n/setlang/", {"language": "fr", "next": "https://evil.example/"})

    assert response["Location"] == "/"


PAGES = {
    "home": ("/", {"en": "Happening now", "fr": "En ce moment"}),
    "home category": ("/?category=social", {"en": "No services yet.", "fr": "Aucun service"}),
    "search": ("/search?q=zzqq", {"en": "No service matches", "fr": "Aucun service ne correspond"}),
    "service": ("/s/twitter/", {"en": "Is Twitter down?", "fr": "Twitter est-il en panne"}),
    "service 7d": (
        "/s/twitter/?range=7d",
        {"en": "Breakdown, current incident", "fr": "Répartition, incident en cours"},
    ),
    "report page": (
        "/s/twitter/report/",
        {"en": "Report a problem with Twitter", "fr": "Signaler un problème avec Twitter"},
    ),
    "incidents": ("/incidents/", {"en": "Reports peaked at about", "fr": "Les signalements ont"}),
    "incident": ("/incidents/{pk}/", {"en": "Time to peak", "fr": "Temps jusqu’au pic"}),
}


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_renders_in_every_language(client, incident, name, language):
    path, words = PAGES[name]

    response = client.get(path.format(pk=incident.pk), HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 200
    page = response.content.decode()
    assert f'<html lang="{language}">' in page
    if language in words:
        assert words[language] in page
    else:  # the English words are translated away
        assert words["en"] not in page
    assert "{{" not in page and "{%" not in page


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_a_rejected_report_renders_the_form_page_in_every_language(
    client, twitter, database_buffer, language
):
    response = client.post(
        "/s/twitter/report/",
        {"problem": "login", "platform": "fax"},
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert response.status_code == 400
    assert f'<html lang="{language}">' in response.content.decode()


def test_french_pages_group_thousands_the_french_way(client, incident):
    french = client.get(f"/incidents/{incident.pk}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    english = client.get(f"/incidents/{incident.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert (
        f"26{NNBSP}611 (habituellement 150), 1{NNBSP}200 «\u00a0ça marche chez moi\u00a0»" in french
    )
    assert "26,611 (typical 150), 1,200 “works for me”" in english
    assert f"environ 9{NNBSP}800 par 15 minutes" in french
    home = client.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert f">1{NNBSP}234</td>" in home


def test_french_pages_name_vocabulary_and_countries_in_french(client, incident):
    page = client.get("/s/twitter/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert ">Connexion au compte</button>" in page  # Problem.LOGIN, the report form
    assert ">Application iOS</th>" in page  # Platform.IOS, the breakdown
    assert "États-Unis" in page  # django-countries' French names
    assert "Pays\u00a0: plusieurs pays" in page  # the French space before the colon


def test_the_notify_form_rendered_once_per_language_follows_the_language(client, twitter):
    """Its fields are rendered once per process and language (alerts/templatetags/alerts.py),
    country names included (they were English on French pages, fixed at import)."""

    def notify_form(language):
        page = client.get("/s/twitter/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        return page[page.index('id="notify"') :]

    english = ("Only in country", "United States")
    french = ("Seulement dans le pays", "États-Unis")
    for language, (label, country) in [("en", english), ("fr", french), ("en", english)]:
        form = notify_form(language)
        assert label in form and f'<option value="US">{country}' in form


def test_summaries_speak_the_active_language(incident):
    with translation.override("fr"):
        summary = summaries.incident_summary(incident)
        assert re.sub(r"<[^>]+>", "", summary).endswith(
            "; 89\u00a0% web, 11\u00a0% application; 2 pays; plusieurs pays."
        )
        assert summaries.about(123456) == f"120{NNBSP}000"
        assert summaries.duration_words(timedelta(hours=2, minutes=5)) == "2\u00a0h 05\u00a0min"
    with translation.override("en"):
        assert summaries.about(123456) == "120,000"
        assert summaries.duration_words(timedelta(days=1, hours=3)) == "1 d 3 h"


@pytest.mark.parametrize(
    ("language", "thousands", "country", "countries"),
    [
        ("en", "123,456", "United States", "2 countries"),
        ("de", "123.456", "Vereinigte Staaten", "2 Länder"),
        ("es", "123\u00a0456", "Estados Unidos", "2 países"),
        ("it", "123.456", "Stati Uniti", "2 paesi"),
        ("ja", "123,456", "アメリカ合衆国", "2 か国"),
        ("pt-br", "123.456", "Estados Unidos", "2 países"),
    ],
)
def test_numbers_country_names_and_plurals_follow_each_language(
    client, incident, language, thousands, country, countries
):
    incident.total = 123456
    incident.save(update_fields=["total"])
    page = client.get(f"/incidents/{incident.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert thousands in page
    assert country in page
    with translation.override(language):
        assert translation.ngettext("%(n)d country", "%(n)d countries", 2) % {"n": 2} == countries


def _po_entries(path: Path) -> dict[str, list[str]]:
    """msgid -> every msgstr form of a .po file (one for a plain entry), header left out; a
    msgid with a context is keyed as gettext keys it, "context\x04msgid"."""
    entries: dict[str, list[str]] = {}
    context: list[str] = []
    msgid: list[str] = []
    forms: list[list[str]] = []
    current: list[str] | None = None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith("msgctxt "):
            context = [ast.literal_eval(line[8:])]
            current = context
        elif line.startswith("msgid "):
            msgid, forms = ["".join(context) + "\x04" if context else ""], []
            msgid.append(ast.literal_eval(line[6:]))
            current = msgid
        elif line.startswith("msgstr"):
            forms.append([ast.literal_eval(line.split(" ", 1)[1])])
            current = forms[-1]
        elif line.startswith("msgid_plural"):
            current = None
        elif line.startswith('"') and current is not None:
            current.append(ast.literal_eval(line))
        elif line.startswith("#, fuzzy") and msgid:
            forms.append([""])  # a fuzzy entry counts as untranslated
        elif not line.strip() and msgid:
            if "".join(msgid):
                entries["".join(msgid)] = ["".join(form) for form in forms]
            context, msgid, forms, current = [], [], [], None
    return entries


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_catalogue_is_complete_and_compiled(language):
    """0 untranslated strings in every language, every plural form filled, and a fresh machine
    needs no gettext tools: the compiled .mo is in the tree and matches."""
    folder = LOCALE / translation.to_locale(language) / "LC_MESSAGES"
    entries = _po_entries(folder / "django.po")
    with (folder / "django.mo").open("rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)
    plurals = int(re.search(r"nplurals=(\d+)", catalog.info()["plural-forms"]).group(1))  # type: ignore[union-attr]

    assert len(entries) > 300
    untranslated = [msgid for msgid, forms in entries.items() if not all(forms)]
    assert untranslated == []
    assert {len(forms) for forms in entries.values()} <= {1, plurals}
    stale = [
        m
        for m, forms in entries.items()
        if catalog._catalog.get(m, catalog._catalog.get((m, 0))) != forms[0]  # type: ignore[attr-defined]
    ]
    assert stale == [], f"run `manage.py compilemessages -l {translation.to_locale(language)}`"


def test_every_source_string_is_in_every_catalogue():
    """makemessages was run after the last new string: the catalogues hold the same msgids
    (a string missing from one would show in English on its pages)."""
    ids = {
        language: set(
            _po_entries(LOCALE / translation.to_locale(language) / "LC_MESSAGES" / "django.po")
        )
        for language in TRANSLATED
    }

    assert all(found == ids["fr"] for found in ids.values())


@pytest.mark.parametrize(
    ("asked", "language"),
    [("fr", "fr"), ("de-AT", "de"), ("ja", "ja"), ("pt", "pt-br"), ("es-419", "es"), ("ko", "en")],
)
def test_the_embed_speaks_the_language_closest_to_the_host_page_s(client, twitter, asked, language):
    page = client.get(f"/embed/twitter/?lang={asked}").content.decode()

    assert f'<html lang="{language}"' in page


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_language_has_plotly_s_words_for_its_charts(client, twitter, language):
    """The chart tool bar's words come from plotly.js's own locale files, vendored (no CDN)."""
    vendored = Path(settings.BASE_DIR) / "static" / "vendor" / "plotly" / "locales"

    page = client.get("/s/twitter/", HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert (
        '\nif (typeof Plotly !== "undefined") Plotly.register({'
        in (vendored / f"{language}.js").read_text()
    )
    assert f'src="/static/vendor/plotly/locales/{language}.js"' in page
