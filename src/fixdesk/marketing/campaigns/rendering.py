"""Campaign templates: checking them when saved, compiling them once per campaign, rendering one email per
recipient with its tracking links.

Subjects and bodies are Jinja2 templates rendered in the project's sandboxed environment
(:func:`fixdesk.messaging.service.template_environment`: unknown variables are errors, nothing outside the
variables is reachable). The body is HTML and autoescaped: a customer named ``<b>Ana</b>`` arrives as text.

Variables a template may use (:data:`VARIABLES`):

==================  =============================================================
``first_name``      the customer's first name
``last_name``       the customer's last name
``full_name``       first and last name
``email``           the address the email goes to
``shop_name``       the shop's name (``FIXDESK_SHOP_NAME``)
``shop_email``      the shop's email (``FIXDESK_SHOP_EMAIL``)
``shop_phone``      the shop's phone (``FIXDESK_SHOP_PHONE``)
``unsubscribe_url`` the customer's one-click unsubscribe link (added as a footer when the body has none)
==================  =============================================================

A template using any other name, or with a syntax error, is refused when saved (422, naming the field and
the line). Tracking is added when the campaign is compiled: every literal ``http(s)`` link of an
``href`` attribute becomes a click redirect ``/t/c/{token}/{n}`` (``n`` its place in the campaign's list of
links, :func:`campaign_links`: the redirect can only lead to those), and a 1×1 open pixel
``/t/o/{token}.gif`` ends the body. A link built from variables (``href="{{ … }}"``) is left as written.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import Template, TemplateSyntaxError, meta
from jinja2.exceptions import SecurityError, UndefinedError

from fixdesk.config import Settings
from fixdesk.messaging.service import template_environment
from fixdesk.platform.errors import ValidationFailed

VARIABLES: tuple[str, ...] = (
    "first_name",
    "last_name",
    "full_name",
    "email",
    "shop_name",
    "shop_email",
    "shop_phone",
    "unsubscribe_url",
)
# Names the compiled templates use for tracking, never written by a shop's template.
_TRACKED_LINKS = "tracked_links_"
_OPEN_PIXEL = "open_pixel_url_"
_UNSUBSCRIBE_LABEL = "unsubscribe_label_"

SAMPLE_CUSTOMER = {"first_name": "Ana", "last_name": "Example", "email": "ana@example.com", "language": "en"}

# A literal link in an href attribute: double or single quotes, http(s), no template syntax inside.
_HREF = re.compile(
    r"""(?P<prefix>\bhref\s*=\s*)(?P<quote>["'])(?P<url>https?://[^"'{}<>\s]+)(?P=quote)""", re.I
)
_ANCHOR = re.compile(
    r"<a\b[^>]*?\bhref\s*=\s*([\"'])(?P<url>[^\"']*)\1[^>]*>(?P<label>.*?)</a\s*>", re.I | re.S
)
_INVISIBLE = re.compile(r"<(head|style|script|title)\b.*?</\1\s*>", re.I | re.S)
_BREAKS = re.compile(r"<\s*(br|/p|/div|/h[1-6]|/li|/tr)\b[^>]*>", re.I)
_TAG = re.compile(r"<[^>]+>")
_BODY_END = re.compile(r"</body\s*>", re.I)

UNSUBSCRIBE_TEXT = {"en": "Unsubscribe", "pt": "Cancelar subscrição"}


class TemplateInvalid(ValidationFailed):
    """422: a subject or body that does not compile, or uses a variable that does not exist."""

    status = 422


def _environment() -> Any:
    return template_environment()


def _compile_html(source: str) -> Template:
    # The shared environment autoescapes files ending in .html; a string is escaped through this block.
    # Both tags sit on the body's first and last line, so error line numbers stay the shop's.
    return _environment().from_string("{% autoescape true %}" + source + "{% endautoescape %}")


def _compile_text(source: str) -> Template:
    return _environment().from_string(source)


def _check(field: str, source: str, *, html_body: bool) -> None:
    environment = _environment()
    wrapped = "{% autoescape true %}" + source + "{% endautoescape %}" if html_body else source
    try:
        parsed = environment.parse(wrapped)
    except TemplateSyntaxError as error:
        raise TemplateInvalid.for_field(field, f"line {error.lineno}: {error.message}") from error
    unknown = sorted(meta.find_undeclared_variables(parsed) - set(VARIABLES))
    if unknown:
        raise TemplateInvalid.for_field(
            field,
            f"unknown variable{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"available: {', '.join(VARIABLES)}",
        )


def check_template(subject: str, body: str) -> None:
    """Refuse (:class:`TemplateInvalid`, 422 naming ``subject`` or ``body``) a subject or body with a syntax
    error or an unknown variable; then render both for :data:`SAMPLE_CUSTOMER`, so a template the sandbox
    refuses (an attribute it hides) fails now rather than when sent."""
    _check("subject", subject, html_body=False)
    _check("body", body, html_body=True)
    variables = {name: "x" for name in VARIABLES}
    for field, compile_template, source in (
        ("subject", _compile_text, subject),
        ("body", _compile_html, body),
    ):
        try:
            compile_template(source).render(variables)
        except (SecurityError, UndefinedError, TypeError, ValueError) as error:
            raise TemplateInvalid.for_field(field, str(error)) from error


def variables_used(subject: str, body: str) -> list[str]:
    """The variables a (valid) subject and body use, sorted."""
    environment = _environment()
    used: set[str] = set()
    for source in (subject, body):
        try:
            used |= meta.find_undeclared_variables(environment.parse(source))
        except TemplateSyntaxError:
            continue
    return sorted(used)


def campaign_links(body: str) -> list[str]:
    """The literal ``http(s)`` links of a body's ``href`` attributes, each once, in order of first
    appearance: click ``n`` redirects to ``campaign_links(body)[n]`` and to nothing else."""
    links: list[str] = []
    for match in _HREF.finditer(body):
        url = html.unescape(match.group("url"))
        if url not in links:
            links.append(url)
    return links


def _tracked_source(body: str, links: list[str]) -> str:
    def replace(match: re.Match[str]) -> str:
        index = links.index(html.unescape(match.group("url")))
        quote = match.group("quote")
        return f"{match.group('prefix')}{quote}{{{{ {_TRACKED_LINKS}[{index}] }}}}{quote}"

    return _HREF.sub(replace, body)


def _text_source(tracked_html: str) -> str:
    """The plain-text alternative's template, made once from the (tracked) HTML template: links become
    ``label (url)``, block ends become line breaks, other tags go, entities are decoded."""
    source = _INVISIBLE.sub("", tracked_html)
    source = _ANCHOR.sub(lambda m: f"{m.group('label')} ({m.group('url')})", source)
    source = _BREAKS.sub("\n", source)
    source = html.unescape(_TAG.sub("", source))
    lines = [" ".join(line.split()) for line in source.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str
    text: str


@dataclass(frozen=True)
class CompiledCampaign:
    """A campaign's templates compiled once (with tracking, or without for a preview), rendered per
    recipient by :meth:`render`."""

    subject: Template
    html: Template
    text: Template
    links: tuple[str, ...]
    shop: Mapping[str, str]

    def render(
        self,
        recipient: Mapping[str, Any],
        *,
        unsubscribe_url: str,
        link_url: Callable[[int], str] | None = None,
        open_pixel_url: str | None = None,
    ) -> RenderedEmail:
        """The email for one ``recipient`` (``first_name``, ``last_name``, ``email``)."""
        variables = {
            **self.shop,
            "first_name": recipient["first_name"],
            "last_name": recipient["last_name"],
            "full_name": f"{recipient['first_name']} {recipient['last_name']}".strip(),
            "email": recipient["email"],
            "unsubscribe_url": unsubscribe_url,
            _TRACKED_LINKS: [link_url(index) for index in range(len(self.links))]
            if link_url is not None
            else list(self.links),
            _OPEN_PIXEL: open_pixel_url,
            _UNSUBSCRIBE_LABEL: UNSUBSCRIBE_TEXT.get(
                recipient.get("language") or "en", UNSUBSCRIBE_TEXT["en"]
            ),
        }
        # Subjects are one line: this also keeps a newline in a customer's name out of the header.
        subject = " ".join(self.subject.render(variables).split())
        return RenderedEmail(
            subject=subject, html=self.html.render(variables), text=self.text.render(variables)
        )


def compile_campaign(subject: str, body: str, settings: Settings) -> CompiledCampaign:
    """Compile ``subject`` and ``body`` once for a whole send: links made trackable, the open pixel and,
    when the body has no ``unsubscribe_url``, an unsubscribe footer added. Raises :class:`TemplateInvalid`
    (the campaign was checked when saved, so only if the rules changed since)."""
    check_template(subject, body)
    links = campaign_links(body)
    tracked = _tracked_source(body, links)
    if "unsubscribe_url" not in body:
        tracked += (
            '\n<p style="font-size:12px;color:#777"><a href="{{ unsubscribe_url }}">'
            f"{{{{ {_UNSUBSCRIBE_LABEL} }}}}</a></p>"
        )
    text_source = _text_source(tracked)
    pixel = (
        f'{{% if {_OPEN_PIXEL} %}}<img src="{{{{ {_OPEN_PIXEL} }}}}" width="1" height="1" alt="" '
        f'style="display:block;border:0">{{% endif %}}'
    )
    if _BODY_END.search(tracked):
        tracked = _BODY_END.sub(lambda m: pixel + m.group(0), tracked, count=1)
    else:
        tracked += pixel
    return CompiledCampaign(
        subject=_compile_text(subject),
        html=_compile_html(tracked),
        text=_compile_text(text_source),
        links=tuple(links),
        shop={
            "shop_name": settings.shop_name,
            "shop_email": settings.shop_email,
            "shop_phone": settings.shop_phone,
        },
    )
