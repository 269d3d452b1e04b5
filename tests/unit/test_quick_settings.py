"""``common.quick_settings`` (what ``--local`` reads without pydantic) agrees with
``common.settings.Settings``, the one declaration of every setting."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from common.errors import BadRequest
from common.quick_settings import QuickSettings, load_quick_settings
from common.settings import Settings, load_settings

NAMES = [field.name for field in fields(QuickSettings)]


def test_same_names_and_defaults_as_the_settings_model() -> None:
    model = Settings.model_fields
    for name in NAMES:
        assert name in model, name
        assert getattr(QuickSettings(), name) == model[name].default, name
    assert model["APPROX_PIXELS_MAX"].description


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"MAX_IMAGE_PIXELS": "2000000", "APPROX_PIXELS_MAX": "123456"},
        {"EXIFTOOL": "/opt/exiftool/exiftool", "TABLES_DIR": "/var/cache/exifq-tables"},
        {"OPERATION_MODULES": "tests.support.throwaway_operation"},
    ],
)
def test_same_values_from_the_same_environment(env: dict, monkeypatch) -> None:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    quick, full = load_quick_settings(), load_settings()
    for name in NAMES:
        assert getattr(quick, name) == getattr(full, name), name
    assert quick.tables_dir == full.tables_dir
    assert quick.exiftool == full.exiftool


@pytest.mark.parametrize("value", ["0", "-5", "many", ""])
def test_a_wrong_number_is_refused_with_its_name(value: str) -> None:
    with pytest.raises(BadRequest, match="MAX_IMAGE_PIXELS"):
        load_quick_settings({"MAX_IMAGE_PIXELS": value})
    assert isinstance(load_quick_settings({"TABLES_DIR": "x"}).TABLES_DIR, Path)
