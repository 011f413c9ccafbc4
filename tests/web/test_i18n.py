"""English and Portuguese pages: every text the pages show has its Portuguese translation, the browser's
languages are weighed by quality, and dates and amounts follow the reader's locale through Babel."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from fixdesk.web import i18n
from fixdesk.web.i18n import (
    PageLocale,
    format_amount,
    format_day,
    format_moment,
    format_unit_price,
    negotiate,
    parse_accept_language,
)
from fixdesk.web.sign_in import TOO_MANY
from fixdesk.web.templating import environment

WEB = Path(i18n.__file__).resolve().parent
METHODS = [("templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {
    "templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}
}


# As the Makefile's `pybabel extract -k NN_:1,2`: Python's plural texts (fixdesk.web.i18n.NN_).
KEYWORDS = {**DEFAULT_KEYWORDS, "NN_": (1, 2)}


def extracted_messages() -> dict[str, str | None]:
    """Every text of the pages by its ``msgid``: its ``msgid_plural`` when it has a count, else ``None``."""
    messages: dict[str, str | None] = {}
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(WEB), METHODS, OPTIONS, keywords=KEYWORDS
    ):
        if isinstance(message, str):
            messages.setdefault(message, None)
        else:
            messages[message[0]] = message[1]
    return messages


def portuguese_catalog():
    with (WEB / "locale/pt/LC_MESSAGES/messages.po").open("rb") as handle:
        return read_po(handle, locale="pt")


def test_every_text_of_the_pages_is_translated_into_portuguese():
    catalog = portuguese_catalog()
    # A text with a count is translated only when it has all of the language's forms, and is looked up
    # by ngettext only when the catalog has it as a plural (msgid_plural) too.
    translated = {
        (m.id[0], m.id[1]) if isinstance(m.id, tuple) else (m.id, None)
        for m in catalog
        if m.id
        and not m.fuzzy
        and (len(m.string) == catalog.num_plurals and all(m.string) if isinstance(m.id, tuple) else m.string)
    }

    messages = extracted_messages()

    assert len(messages) > 20, "extraction found almost nothing: is the map right?"
    assert any(plural for plural in messages.values()), "no ngettext/NN_ text found: is the map right?"
    missing = sorted(set(messages.items()) - translated)
    assert missing == [], f"untranslated (run `make messages`, then translate): {missing}"


def test_portuguese_has_a_singular_for_one_only():
    """European Portuguese: 1 is singular, 0 and 2 plural (``0 reparações``)."""
    catalog = portuguese_catalog()
    translations = i18n.translations("pt")

    assert catalog.plural_forms == "nplurals=2; plural=(n != 1);"
    repairs = (
        "%(total)s repair · page %(page)s of %(pages)s",
        "%(total)s repairs · page %(page)s of %(pages)s",
    )
    assert [translations.ngettext(*repairs, n) % {"total": n, "page": 1, "pages": 1} for n in (0, 1, 2)] == [
        "0 reparações · página 1 de 1",
        "1 reparação · página 1 de 1",
        "2 reparações · página 1 de 1",
    ]


def test_the_catalog_keeps_the_placeholders():
    translations = i18n.translations("pt")

    assert translations.gettext("The back office of %(shop)s") % {"shop": "X"} == "Área reservada de X"
    assert i18n.translations("en").gettext("Sign in") == "Sign in"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("pt-PT,pt;q=0.9,en;q=0.8", ["pt-PT", "pt", "en"]),
        ("en;q=0.2, pt-BR;q=0.9", ["pt-BR", "en"]),
        ("de, *;q=0.5, pt;q=0", ["de"]),
        ("garbage;;, en", ["en"]),
        ("", []),
        (None, []),
    ],
)
def test_accept_language_is_ranked_by_quality(header, expected):
    assert parse_accept_language(header) == expected


@pytest.mark.parametrize(
    ("preferred", "header", "expected"),
    [
        (None, "pt-BR,en;q=0.5", PageLocale("pt", "pt-BR")),
        (None, "de-DE, en-GB;q=0.7", PageLocale("en", "en-GB")),
        (None, "de-DE", PageLocale("en", "en")),
        (None, None, PageLocale("en", "en")),
        # The signed-in user's own choice wins over the browser's.
        ("pt-PT", "en-US", PageLocale("pt", "pt-PT")),
        ("en", "pt", PageLocale("en", "en")),
        # An unknown preference falls back to the browser.
        ("xx", "pt", PageLocale("pt", "pt")),
    ],
)
def test_the_page_language_follows_the_user_then_the_browser(preferred, header, expected):
    assert negotiate(preferred, header) == expected


def test_dates_and_money_follow_the_locale():
    english, brazil, portugal = PageLocale("en", "en"), PageLocale("pt", "pt-BR"), PageLocale("pt", "pt-PT")

    assert format_day(date(2026, 11, 30), english) == "November 30, 2026"
    assert format_day(date(2026, 11, 30), portugal) == "30 de novembro de 2026"
    assert format_amount(Decimal("1234.50"), "USD", english) == "$1,234.50"
    assert format_amount(Decimal("1234.50"), "BRL", brazil) == "R$\xa01.234,50"
    # (Grouping of four-digit amounts in pt-PT differs between CLDR releases.)
    assert format_amount(Decimal("1234.50"), "EUR", portugal).endswith("234,50\xa0€")
    assert format_amount(None, "EUR", portugal) == ""
    moment = datetime(2026, 12, 31, 20, 5, tzinfo=UTC)
    # On the shop's clock: 20:05 UTC is 15:05 in New York, the same day.
    assert format_moment(moment, english, "America/New_York").startswith("Dec 31, 2026, 3:05:00")
    assert format_moment(moment, portugal, "Europe/Lisbon") == "31/12/2026, 20:05:00"


def test_templates_format_with_the_page_locale_and_the_shop():
    template = environment("pt").from_string(
        "{{ _('Sign in') }} · {{ when|day }} · {{ at|moment }} · {{ amount|money }} · {{ amount|money('BRL') }}"
    )

    text = template.render(
        locale=PageLocale("pt", "pt-BR"),
        shop={"currency": "USD", "timezone": "America/Sao_Paulo"},
        when=date(2026, 3, 1),
        at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
        amount=Decimal("10.5"),
    )

    assert text == "Entrar · 1 de março de 2026 · 1 de mar. de 2026 09:00:00 · US$\xa010,50 · R$\xa010,50"


@pytest.mark.parametrize(
    ("language", "seconds", "expected"),
    [
        ("en", 1, "Wait 1 second and try again."),
        ("en", 30, "Wait 30 seconds and try again."),
        ("pt", 1, "Aguarde 1 segundo e tente de novo."),
        ("pt", 30, "Aguarde 30 segundos e tente de novo."),
    ],
)
def test_a_python_text_with_a_count_is_worded_for_it_on_the_page(language, seconds, expected):
    template = environment(language).get_template("shared/form_messages.html")

    text = template.render(error=TOO_MANY, error_values={"seconds": seconds}, notice=None)

    assert expected in text


def test_a_price_finer_than_cents_keeps_its_decimals_in_the_locale():
    english, brazil, portugal = PageLocale("en", "en"), PageLocale("pt", "pt-BR"), PageLocale("pt", "pt-PT")

    assert format_unit_price(Decimal("0.0079"), "USD", english) == "$0.0079"
    assert format_unit_price(Decimal("0.0079"), "EUR", portugal) == "0,0079\xa0€"
    assert format_unit_price(Decimal("0.5"), "BRL", brazil) == "R$\xa00,50"  # at least the currency's cents
    assert format_unit_price(None, "EUR", portugal) == ""
