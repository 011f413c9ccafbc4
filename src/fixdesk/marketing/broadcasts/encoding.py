"""How many SMS segments a text takes, and what a broadcast is estimated to cost.

The rule (3GPP TS 23.038 and 23.040, as Twilio bills it):

* A text written only in the **GSM-7** alphabet (the basic table, where each character is one 7-bit
  septet, and its extension table ``^ { } [ ~ ] | € \\f \\``, where each is two septets: an escape and the
  character) fits in one segment up to **160** septets. Longer, it is split into segments of **153**
  septets (each carries a 7-septet concatenation header), and an escape pair is never split between two.
* Any other character makes the whole text **UCS-2**: one segment up to **70** UTF-16 code units, else
  segments of **67**; a character outside the Basic Multilingual Plane (most emoji) takes two units, which
  are never split.
* An empty text is one segment (nothing is sent for it anyway).

The estimate is ``recipients × segments per message × price per segment`` (the channel's price from the
settings ``broadcast_sms_segment_price`` / ``broadcast_whatsapp_segment_price``, in the shop's currency),
computed exactly in ``Decimal`` and rounded half-up to cents once, at the end. WhatsApp is not billed by the
segment by Meta or Twilio; counting it like SMS gives a shop one figure to compare, with its own price.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from fixdesk.db import round_money

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

SINGLE_GSM7 = 160
MULTI_GSM7 = 153
SINGLE_UCS2 = 70
MULTI_UCS2 = 67

Encoding = Literal["GSM-7", "UCS-2"]


@dataclass(frozen=True)
class SegmentCount:
    """A text's encoding, its length in the encoding's units (septets or UTF-16 code units) and the
    number of segments it is sent in."""

    encoding: Encoding
    units: int
    segments: int


def is_gsm7(text: str) -> bool:
    """Whether every character of ``text`` is in the GSM-7 basic or extension table."""
    return all(character in GSM7_BASIC or character in GSM7_EXTENSION for character in text)


def _pack(widths: list[int], single: int, multi: int) -> int:
    """Segments for characters of the given widths: one if they all fit in ``single`` units, else as many
    ``multi``-unit segments as greedy filling needs without splitting a character."""
    total = sum(widths)
    if total <= single:
        return 1
    segments, used = 1, 0
    for width in widths:
        if used + width > multi:
            segments += 1
            used = 0
        used += width
    return segments


def count_segments(text: str) -> SegmentCount:
    """The segments ``text`` is sent in (see the module docstring for the rule).

    >>> count_segments("a" * 160).segments, count_segments("a" * 161).segments
    (1, 2)
    >>> count_segments("ã" * 70).segments, count_segments("ã" * 71).segments
    (1, 2)
    """
    if is_gsm7(text):
        widths = [2 if character in GSM7_EXTENSION else 1 for character in text]
        return SegmentCount("GSM-7", sum(widths), _pack(widths, SINGLE_GSM7, MULTI_GSM7))
    widths = [2 if ord(character) > 0xFFFF else 1 for character in text]
    return SegmentCount("UCS-2", sum(widths), _pack(widths, SINGLE_UCS2, MULTI_UCS2))


def estimate_cost(recipients: int, segments_per_message: int, price_per_segment: Decimal) -> Decimal:
    """``recipients × segments_per_message × price_per_segment`` rounded half-up to cents (shop currency)."""
    return round_money(Decimal(recipients) * Decimal(segments_per_message) * price_per_segment)
