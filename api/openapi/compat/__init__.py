"""The drop-in adapters (``api.compat``) this app serves, documented in their hosted APIs'
shapes: one module per adapter, each giving ``paths()``, ``SCHEMAS`` and
``SECURITY_SCHEMES``.

Only the adapters the running app registered (``COMPAT_ADAPTERS``) are
documented: the document describes this server, so "try it out" and a client
generated from it never call a route that answers 404 here. The adapter's
names are read from the app's blueprints, never from the setting again.
"""

from __future__ import annotations

from types import ModuleType

from flask import Flask

from api.compat.base import ADAPTERS
from api.openapi.compat import cloudinary, exiftools, imagekit, uploadcare, ximilar

DOCUMENTED: dict[str, ModuleType] = {
    "exiftools": exiftools,
    "ximilar": ximilar,
    "imagekit": imagekit,
    "uploadcare": uploadcare,
    "cloudinary": cloudinary,
}


def served(app: Flask) -> list[str]:
    """The adapters ``app`` serves, in ``api.compat.ADAPTERS`` order."""
    return [name for name in ADAPTERS if f"compat_{name}" in app.blueprints]


def paths(names: list[str]) -> dict:
    found: dict = {}
    for name in names:
        found.update(DOCUMENTED[name].paths())
    return found


def components(names: list[str]) -> dict:
    """``schemas`` and ``securitySchemes`` of the adapters ``names``."""
    schemas: dict = {}
    schemes: dict = {}
    for name in names:
        schemas.update(DOCUMENTED[name].SCHEMAS)
        schemes.update(DOCUMENTED[name].SECURITY_SCHEMES)
    return {"schemas": schemas, "securitySchemes": schemes}


def tags(names: list[str]) -> list[dict]:
    return [
        {"name": f"compat: {name}", "description": DOCUMENTED[name].__doc__.split("\n\n")[0]}
        for name in names
    ]
