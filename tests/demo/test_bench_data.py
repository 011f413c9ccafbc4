"""The demo bench's data: every intake issue has a fix the catalog can price, every device gets an issue that
occurs on it, and customers' texts exist in each language the demo customers speak."""

from __future__ import annotations

from fixdesk.demo.bench import occurs_on
from fixdesk.demo.catalog import CASE_BY_CASE_PRICES, REPAIR_TYPES_BY_NAME, fits
from fixdesk.demo.devices import (
    DECLINE_REASONS,
    DEVICE_MODELS,
    ISSUE_DESCRIPTIONS_BY_TYPE,
    ISSUE_FIXES,
    REQUOTE_REASONS,
    REVIEW_COMMENTS,
)
from fixdesk.demo.loader import LANGUAGE_NOTES


def test_every_intake_issue_has_a_fix_of_known_repair_types():
    assert set(ISSUE_FIXES) == set(ISSUE_DESCRIPTIONS_BY_TYPE)
    for device_type, issues in ISSUE_DESCRIPTIONS_BY_TYPE.items():
        assert set(ISSUE_FIXES[device_type]) == set(issues), device_type
        for issue, fix in ISSUE_FIXES[device_type].items():
            assert 1 <= len(fix.repair_types) <= 2, issue
            assert all(name in REPAIR_TYPES_BY_NAME for name in fix.repair_types), issue
            # Work without a part needs its labour line, or the line would be only a diagnosis fee.
            if fix.repair_types == ("Diagnostics",):
                assert fix.labour, issue


def test_repairs_without_a_part_have_a_price_range_for_every_device_type():
    partless = {name for name, repair in REPAIR_TYPES_BY_NAME.items() if repair.part is None}
    assert set(CASE_BY_CASE_PRICES) == partless
    for name, ranges in CASE_BY_CASE_PRICES.items():
        assert set(ranges) == set(ISSUE_DESCRIPTIONS_BY_TYPE), name
        assert all(0 < low <= high for low, high in ranges.values()), name


def test_every_device_gets_an_issue_that_occurs_on_it():
    for device in DEVICE_MODELS:
        fixes = ISSUE_FIXES[device.device_type]
        eligible = [issue for issue, fix in fixes.items() if occurs_on(fix, device)]
        assert eligible, (device.brand, device.name)


def test_issues_land_on_fitting_devices():
    by_name = {(d.brand, d.name): d for d in DEVICE_MODELS}
    ps5 = by_name[("Sony", "PlayStation 5")]
    digital = by_name[("Sony", "PlayStation 5 Digital Edition")]
    switch = by_name[("Nintendo", "Switch")]
    consoles = ISSUE_FIXES["console"]
    assert occurs_on(consoles["HDMI port damaged, no picture on TV"], ps5)
    assert not occurs_on(consoles["HDMI port damaged, no picture on TV"], switch)  # a handheld has none
    assert occurs_on(consoles["Disc drive won't accept or eject discs"], ps5)
    assert not occurs_on(consoles["Disc drive won't accept or eject discs"], digital)
    assert occurs_on(consoles["Joy-Con drift on the left stick"], switch)
    assert not occurs_on(consoles["Joy-Con drift on the left stick"], ps5)
    face_id = ISSUE_FIXES["phone"]["Face ID stopped working after a fall"]
    assert occurs_on(face_id, by_name[("Apple", "iPhone 13")])
    assert not occurs_on(face_id, by_name[("Apple", "iPhone 8")])
    assert not occurs_on(face_id, by_name[("Samsung", "Galaxy S21")])
    # Screens are replaced on phones and handhelds, not on home consoles.
    screen = REPAIR_TYPES_BY_NAME["Screen replacement"]
    assert fits(screen, switch)
    assert not fits(screen, ps5)


def test_customer_texts_exist_for_every_language_and_rating():
    languages = {"en", *LANGUAGE_NOTES}
    assert languages == {"en", "pt", "es"}
    for language in languages:
        assert DECLINE_REASONS[language], language
        assert REQUOTE_REASONS[language], language
        assert set(REVIEW_COMMENTS[language]) == {1, 2, 3, 4, 5}, language
        assert all(REVIEW_COMMENTS[language][rating] for rating in range(1, 6)), language
