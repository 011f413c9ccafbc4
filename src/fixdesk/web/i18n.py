"""Languages of the web pages: which one a request gets, the gettext catalogs, and dates and money by Babel.

Pages speak the languages the messages do (:data:`fixdesk.messaging.service.LANGUAGES`: English and
Portuguese). A request's language is the signed-in user's preference when the page knows it, else the
first language of the browser's ``Accept-Language`` we have (by quality value, RFC 9110 §12.5.4), else
English. The full tag the browser or the user asked for (``pt-BR``, ``en-GB``) is kept for formatting
dates and amounts by the CLDR rules of that region.

Texts are marked in templates with ``{{ _("…") }}`` / ``{% trans %}`` and in Python with :func:`N_`; a text
with a count has a singular and a plural (``{{ ngettext("%(total)s repair", "%(total)s repairs", total,
total=total) }}``, in Python :func:`NN_`), as each language's ``Plural-Forms`` has it;
translations live in ``locale/<language>/LC_MESSAGES/messages.po`` (see DEVELOPERS.md, "Web pages", for
extracting and updating them with ``pybabel``). The ``.po`` files are compiled in memory by Babel the first
time a language is used, so no ``.mo`` file and no system tool is needed.
"""

from __future__ import annotations

import functools
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency
from babel.support import NullTranslations, Translations

from fixdesk.messaging.service import DEFAULT_LANGUAGE, LANGUAGES, format_date, format_money

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
_LANGUAGE_RANGE = re.compile(r"^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$")


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it here; the page translates it when it renders
    (navigation labels, error titles: defined once, shown in the reader's language)."""
    return message


@dataclass(frozen=True)
class PluralMessage:
    """A text marked by :func:`NN_` whose wording depends on a count: ``singular`` and ``plural`` (the
    English forms, the ``msgid`` and ``msgid_plural`` of the catalogs) and ``count``, the name of its
    value that is the count (``"seconds"`` for ``Wait %(seconds)s seconds``)."""

    singular: str
    plural: str
    count: str


#: A text a page translates when it renders: an :func:`N_` string or an :func:`NN_` plural.
Message = str | PluralMessage


def NN_(singular: str, plural: str, *, count: str) -> PluralMessage:
    """Mark a text with a count for extraction (``pybabel extract -k NN_:1,2``, see the Makefile) without
    translating it here, like :func:`N_`; the page picks the form for the value named ``count`` in the
    reader's language when it renders (``shared/form_messages.html``)."""
    return PluralMessage(singular, plural, count)


@dataclass(frozen=True)
class PageLocale:
    """The language a page is written in (``en`` or ``pt``: a catalog) and the BCP 47 tag whose regional
    rules format its dates and amounts (``pt-BR``: ``R$ 1.234,50``, ``pt-PT``: ``1234,50 €``)."""

    language: str
    tag: str

    @property
    def babel_locale(self) -> Locale:
        return Locale.parse(self.tag.replace("-", "_"))


def _known_tag(tag: str) -> str | None:
    """``tag`` when Babel knows it (CLDR), normalised to ``xx-YY``; else ``None``."""
    try:
        locale = Locale.parse(tag.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return None
    return str(locale).replace("_", "-")


def parse_accept_language(header: str | None) -> list[str]:
    """The language tags of an ``Accept-Language`` header, best first (RFC 9110 §12.5.4): ordered by
    quality value, ties in the order written; ``q=0`` ("not this one"), ``*`` and malformed entries are
    dropped."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")):
        match = _LANGUAGE_RANGE.match(part)
        if not match or match.group(1) == "*":
            continue
        try:
            quality = float(match.group(2)) if match.group(2) is not None else 1.0
        except ValueError:
            continue
        if quality > 0:
            ranked.append((-quality, position, match.group(1)))
    return [tag for _, _, tag in sorted(ranked)]


def negotiate(preferred: str | None = None, accept_language: str | None = None) -> PageLocale:
    """The page locale for a user whose preference is ``preferred`` (a BCP 47 tag or a language, e.g. a
    customer's ``locale``/``language``; ``None`` before sign-in) and a browser sending ``accept_language``.
    The first candidate whose language we have wins; English when none does."""
    candidates = ([preferred] if preferred else []) + parse_accept_language(accept_language)
    for candidate in candidates:
        language = candidate.split("-")[0].split("_")[0].lower()
        if language in LANGUAGES:
            return PageLocale(language, _known_tag(candidate) or language)
    return PageLocale(DEFAULT_LANGUAGE, DEFAULT_LANGUAGE)


@functools.cache
def translations(language: str) -> NullTranslations:
    """The gettext catalog of ``language``, compiled in memory from its ``.po`` file (English, the source
    language, has none: messages are shown as written). Fuzzy entries are left out, as msgfmt does."""
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == DEFAULT_LANGUAGE or not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def format_day(value: date | datetime | str | None, locale: PageLocale) -> str:
    """A calendar date in the long CLDR form of the page's language (``November 30, 2026``, ``30 de
    novembro de 2026``), as the messages write it (:func:`fixdesk.messaging.service.format_date`)."""
    return format_date(value, locale.language) or ""


def format_moment(value: datetime | None, locale: PageLocale, timezone: str) -> str:
    """A moment as the shop's clock showed it (``timezone``, e.g. ``FIXDESK_SHOP_TIMEZONE``), in the
    medium CLDR form of the page's locale: ``Nov 30, 2026, 2:05:00 PM``, ``30/11/2026, 14:05:00``."""
    if value is None:
        return ""
    return babel_dates.format_datetime(
        value, format="medium", tzinfo=ZoneInfo(timezone), locale=locale.babel_locale
    )


def format_amount(amount: Decimal | str | None, currency: str, locale: PageLocale) -> str:
    """An exact amount of ``currency`` (ISO 4217) by the page locale's rules (``$1,234.50``, ``US$
    1.234,50``), as the messages write it (:func:`fixdesk.messaging.service.format_money`)."""
    if amount is None or amount == "":
        return ""
    return format_money(amount, currency, locale.tag, locale.language)


def format_unit_price(amount: Decimal | str | None, currency: str, locale: PageLocale) -> str:
    """A price of one unit of something (an SMS segment) that may be finer than the currency's cents, by
    the page locale's rules like :func:`format_amount` but with every decimal of ``amount`` kept, and at
    least the currency's (``$0.0079``, ``0,0079 US$`` in pt-PT, ``US$ 0,50`` in pt-BR)."""
    if amount is None or amount == "":
        return ""
    return format_currency(
        Decimal(str(amount)), currency, locale=locale.babel_locale, decimal_quantization=False
    )
