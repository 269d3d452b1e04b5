"""Drop-in adapters: each hosted API's own clients work against exifq by changing the base URL.

One module (one blueprint) per hosted API, mounted under its own prefix,
over the same jobs, storage, expiry, keys and limits as the native API
(``api.compat.base``); their shapes never reach the native routes. The
``COMPAT_ADAPTERS`` setting chooses which are served. See ``docs/compat.md``.
"""

from __future__ import annotations

import importlib

from flask import Flask

from api.compat.base import ADAPTERS, enabled
from common.settings import Settings

__all__ = ["ADAPTERS", "register"]


def register(app: Flask, settings: Settings) -> list[str]:
    """Register the blueprints of the adapters ``settings`` turns on; their names."""
    names = enabled(settings)
    for name in names:
        module = importlib.import_module(f"api.compat.{name}")
        app.register_blueprint(module.blueprint())
    return names
