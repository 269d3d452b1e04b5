"""Drop-in adapters: each hosted API's own clients work against exifq by changing the base URL.

One module (one blueprint) per hosted API, mounted under its own prefix,
over the same jobs, storage, expiry, keys and limits as the native API
(``api.compat.base``); their shapes never reach the native routes. The
``COMPAT_ADAPTERS`` setting chooses which are served. See ``docs/compat.md``.
"""

from __future__ import annotations

import importlib

from flask import Flask

from api.compat.base import ADAPTERS, enabled, key_pairs
from common.settings import Settings

__all__ = ["ADAPTERS", "register"]


def register(app: Flask, settings: Settings) -> list[str]:
    """Register the blueprints of the adapters ``settings`` turns on; their names. A
    malformed adapter setting stops the start (``ValueError``), never a request."""
    names = enabled(settings)
    key_pairs(settings.COMPAT_UPLOADCARE_KEYS)
    key_pairs(settings.COMPAT_CLOUDINARY_KEYS)
    for name in names:
        module = importlib.import_module(f"api.compat.{name}")
        app.register_blueprint(module.blueprint())
    return names
