"""A device as people say it, in messages, the tracking page and the pages: the brand once."""

from __future__ import annotations

import pytest

from fixdesk.repairs.messages import device_name


@pytest.mark.parametrize(
    ("brand", "model", "said"),
    [
        ("Nokia", "Nokia 7.2", "Nokia 7.2"),
        ("Apple", "Apple Watch Series 9", "Apple Watch Series 9"),
        ("Apple", "iPhone 13", "Apple iPhone 13"),
        ("samsung", "Samsung Galaxy S22", "Samsung Galaxy S22"),
        ("", "ThinkPad X1", "ThinkPad X1"),
        ("Lenovo", None, "Lenovo"),
    ],
)
def test_the_brand_is_said_once(brand, model, said):
    assert device_name(brand, model) == said
