"""How catalog names are normalised, shared by the catalog service, the CSV import and export, and the demo.

A name is stored cleaned (:func:`clean_name`); its ``slug`` (:func:`slug_for`) is what makes brand, repair
type and part type names unique regardless of case, and device model names unique within their brand.
"""

from __future__ import annotations


def clean_name(value: str) -> str:
    """A name as stored: surrounding whitespace removed, inner runs of whitespace made one space."""
    return " ".join(value.split())


def slug_for(name: str) -> str:
    """The case-insensitive identity of a name: trimmed, inner runs of spaces made one, lower-cased."""
    return clean_name(name).lower()


def device_search_text(brand_name: str, name: str, model_number: str | None) -> str:
    """What the device-model search looks in: brand, name and model number, lower-cased."""
    return slug_for(" ".join(part for part in (brand_name, name, model_number or "") if part))[:400]
