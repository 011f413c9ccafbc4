import json
from collections import Counter
from importlib import resources

from fixdesk.demo import devices


def test_has_at_least_300_models():
    assert len(devices.DEVICE_MODELS) >= 300


def test_every_device_type_is_valid():
    invalid = [m for m in devices.DEVICE_MODELS if m.device_type not in devices.DEVICE_TYPES]
    assert invalid == []


def test_tier_levels_are_between_1_and_3():
    invalid = [m for m in devices.DEVICE_MODELS if m.tier_level not in (1, 2, 3)]
    assert invalid == []


def test_release_years_are_plausible():
    invalid = [m for m in devices.DEVICE_MODELS if not 2010 <= m.release_year <= 2025]
    assert invalid == []


def test_screen_sizes_are_positive_when_present():
    invalid = [m for m in devices.DEVICE_MODELS if m.screen_size is not None and m.screen_size <= 0]
    assert invalid == []


def test_brand_and_name_are_unique():
    counts = Counter((m.brand, m.name) for m in devices.DEVICE_MODELS)
    duplicates = [key for key, count in counts.items() if count > 1]
    assert duplicates == []


def test_every_model_number_refers_to_an_existing_model():
    known = {(m.brand, m.name) for m in devices.DEVICE_MODELS}
    assert set(devices._MODEL_NUMBERS) <= known


def test_models_by_type_covers_every_model():
    grouped = devices.models_by_type()
    assert sum(len(models) for models in grouped.values()) == len(devices.DEVICE_MODELS)
    for device_type, models in grouped.items():
        assert device_type in devices.DEVICE_TYPES
        assert all(m.device_type == device_type for m in models)


def test_every_used_device_type_has_issue_descriptions():
    used_types = {m.device_type for m in devices.DEVICE_MODELS}
    for device_type in used_types:
        assert devices.ISSUE_DESCRIPTIONS_BY_TYPE.get(device_type), device_type


def test_issue_descriptions_are_non_empty_strings():
    for issues in devices.ISSUE_DESCRIPTIONS_BY_TYPE.values():
        assert all(isinstance(issue, str) and issue.strip() for issue in issues)


def test_cosmetic_conditions():
    assert len(devices.COSMETIC_CONDITIONS) == 10
    assert len(set(devices.COSMETIC_CONDITIONS)) == 10


def test_status_notes_have_exactly_the_ten_statuses():
    assert set(devices.STATUS_NOTES) == {
        "received",
        "diagnosing",
        "quoted",
        "approved",
        "repairing",
        "waiting_parts",
        "testing",
        "completed",
        "delivered",
        "cancelled",
    }
    assert all(3 <= len(notes) <= 6 for notes in devices.STATUS_NOTES.values())


def test_the_data_ships_as_a_json_file_in_the_package():
    text = resources.files("fixdesk.demo").joinpath("data", "devices.json").read_text(encoding="utf-8")
    data = json.loads(text)
    assert sum(len(group["models"]) for group in data["model_groups"]) == len(devices.DEVICE_MODELS)
    assert data["device_types"] == list(devices.DEVICE_TYPES)
