"""Typed job options, declared once as dataclass fields and read strictly at every edge.

An operation's options are a frozen dataclass whose fields are declared with
:func:`option`. That one declaration gives:

- :func:`parse` — loosely typed input (query strings, form fields, JSON, command-line
  values) validated into the typed value, or ``BadRequest`` naming the bad value;
- :func:`to_json` / :func:`from_json` — the JSON form that travels with the job (the
  worker rebuilds the value without validating it again);
- :func:`json_schema` — the field's JSON Schema for the OpenAPI document;
- :func:`add_arguments` / :func:`from_arguments` — the command-line flags.

Field types: ``bool``, ``int``, ``float``, ``str`` (with ``choices``: an enum), and lists
of choices, ``frozenset[str]`` (a set) or ``tuple[str, ...]`` (in the order given,
without repeats). A list is a JSON list of strings or one comma-separated string; its
names are trimmed and lower-cased. A boolean is JSON ``true``/``false`` or one of the
words in :data:`TRUE_WORDS` / :data:`FALSE_WORDS`. Any other type is refused: a
client's mistake is a 400, never a 500.
"""

from __future__ import annotations

import argparse
import dataclasses
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from common.errors import BadRequest

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})
MAX_TEXT = 2048  # longest free-text option value


@dataclass(frozen=True)
class Spec:
    """What :func:`option` records about a field, besides its type and default."""

    help: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    empty_is_default: bool = False  # an empty list means the default, not "none"
    cli: str | None = None  # the flag, when not derived from the name
    cli_const: Any = None  # the flag stores this constant (for ``str`` fields)


def option(
    default: Any,
    help: str,
    *,
    choices: Iterable[str] = (),
    minimum: float | None = None,
    maximum: float | None = None,
    empty_is_default: bool = False,
    cli: str | None = None,
    cli_const: Any = None,
) -> Any:
    """Declare an option field: its default, a one-line help text and its constraints."""
    spec = Spec(help, tuple(choices), minimum, maximum, empty_is_default, cli, cli_const)
    return dataclasses.field(default=default, metadata={"option": spec})


@dataclass(frozen=True)
class Field:
    """One option as the readers below see it."""

    name: str
    kind: type  # bool, int, float, str, frozenset or tuple
    default: Any
    spec: Spec

    @property
    def is_list(self) -> bool:
        return self.kind in (frozenset, tuple)


@cache
def fields(cls: type) -> tuple[Field, ...]:
    """The option fields of the options dataclass ``cls``."""
    hints = typing.get_type_hints(cls)
    found = []
    for item in dataclasses.fields(cls):
        spec = item.metadata.get("option")
        if spec is None:
            raise TypeError(f"{cls.__name__}.{item.name} is not declared with option()")
        kind = typing.get_origin(hints[item.name]) or hints[item.name]
        if kind not in (bool, int, float, str, frozenset, tuple):
            raise TypeError(f"{cls.__name__}.{item.name}: unsupported option type {kind}")
        found.append(Field(item.name, kind, item.default, spec))
    return tuple(found)


def names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


# ------------------------------------------------------------------ reading


def _bool(f: Field, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise BadRequest(f"{f.name} must be true or false, not {_shown(value)}")


def _number(f: Field, value: object) -> int | float:
    number: int | float
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise BadRequest(f"{f.name} must be a number, not {_shown(value)}")
    what = "an integer" if f.kind is int else "a number"
    if f.kind is int and isinstance(value, float) and not value.is_integer():
        raise BadRequest(f"{f.name} must be {what}, not {_shown(value)}")
    try:
        number = f.kind(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError, OverflowError):
        raise BadRequest(f"{f.name} must be {what}, not {_shown(value)}") from None
    if f.kind is float and number != number:  # NaN
        raise BadRequest(f"{f.name} must be a number, not {_shown(value)}")
    low, high = f.spec.minimum, f.spec.maximum
    if (low is not None and number < low) or (high is not None and number > high):
        raise BadRequest(f"{f.name} must be between {low:g} and {high:g}")
    return number


def _text(f: Field, value: object) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise BadRequest(f"{f.name} must be a string, not {_shown(value)}")
    if f.spec.choices:
        word = value.strip().lower()
        if word not in f.spec.choices:
            raise BadRequest(f"{f.name} must be one of {', '.join(f.spec.choices)}")
        return word
    return value


def _list(f: Field, value: object) -> frozenset[str] | tuple[str, ...]:
    if isinstance(value, str):
        items: list = value.split(",")
    elif isinstance(value, list | tuple | frozenset | set) and all(
        isinstance(item, str) for item in value
    ):
        items = list(value)
    else:
        raise BadRequest(f"{f.name} must be a list of names or a comma-separated string")
    words = [item.strip().lower() for item in items if item.strip()]
    unknown = sorted(set(words) - set(f.spec.choices))
    if unknown:
        allowed = ", ".join(f.spec.choices)
        raise BadRequest(f"unknown {f.name}: {', '.join(unknown)} (allowed: {allowed})")
    if not words and f.spec.empty_is_default:
        return f.default
    return frozenset(words) if f.kind is frozenset else tuple(dict.fromkeys(words))


_READERS = {bool: _bool, int: _number, float: _number, str: _text}


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def read_value(f: Field, value: object) -> Any:
    """``value`` as field ``f`` takes it, or ``BadRequest``."""
    return _list(f, value) if f.is_list else _READERS[f.kind](f, value)


def parse(cls: type, params: Mapping[str, object]) -> Any:
    """The options ``cls`` from ``params``; names ``cls`` has no field for are ignored (the
    caller decides whether they are a mistake)."""
    values = {f.name: read_value(f, params[f.name]) for f in fields(cls) if f.name in params}
    return cls(**values)


# ------------------------------------------------------------------ JSON


def to_json(options: Any) -> dict:
    """A JSON-safe dict of ``options`` (sets as sorted lists)."""
    out = {}
    for f in fields(type(options)):
        value = getattr(options, f.name)
        out[f.name] = sorted(value) if f.kind is frozenset else list(value) if f.is_list else value
    return out


def from_json(cls: type, data: Mapping[str, object]) -> Any:
    """Rebuild options that :func:`to_json` wrote (trusted: not validated again)."""
    values = {}
    for f in fields(cls):
        if f.name in data:
            value = data[f.name]
            values[f.name] = f.kind(value) if f.is_list else value
    return cls(**values)


_JSON_TYPES = {bool: "boolean", int: "integer", float: "number"}


def json_schema(cls: type, *, form: bool = False) -> dict[str, dict]:
    """JSON Schema ``properties`` of the options; ``form`` describes them as form fields
    and query parameters (lists as one comma-separated string)."""
    properties = {}
    for f in fields(cls):
        default = sorted(f.default) if f.kind is frozenset else f.default
        if f.is_list:
            item = {"type": "string", "enum": list(f.spec.choices)}
            comma = {"type": "string", "description": "comma-separated"}
            schema = comma if form else {"anyOf": [{"type": "array", "items": item}, comma]}
            default = ",".join(default) if form else list(default)
        elif f.kind is str and f.spec.choices:
            schema = {"type": "string", "enum": list(f.spec.choices)}
        else:
            schema = {"type": _JSON_TYPES.get(f.kind, "string")}
            if f.spec.minimum is not None:
                schema["minimum"] = f.spec.minimum
            if f.spec.maximum is not None:
                schema["maximum"] = f.spec.maximum
        properties[f.name] = {**schema, "default": default, "description": f.spec.help}
    return properties


# ------------------------------------------------------------------ command line


def _flag(f: Field) -> str:
    if f.spec.cli:
        return f.spec.cli
    name = f.name.replace("_", "-")
    return f"--no-{name}" if f.kind is bool and f.default is True else f"--{name}"


def add_arguments(parser: argparse.ArgumentParser, cls: type) -> None:
    """One flag per option (a default-true boolean becomes ``--no-NAME``)."""
    for f in fields(cls):
        flag, dest, text = _flag(f), f"option_{f.name}", f.spec.help
        if f.kind is bool:
            action = "store_false" if f.default is True else "store_true"
            if f.default is True and not f.spec.cli:  # --no-NAME says what it turns off
                text = f"do not {text}"
            parser.add_argument(flag, dest=dest, action=action, default=None, help=text)
        elif f.spec.cli_const is not None:
            const = f.spec.cli_const
            parser.add_argument(flag, dest=dest, action="store_const", const=const, help=text)
        else:
            metavar = "LIST" if f.is_list else f.name.upper()
            if f.is_list:
                default = ",".join(sorted(f.default) if f.kind is frozenset else f.default)
                text = f"{text}: {','.join(f.spec.choices)} (default: {default or 'none'})"
            parser.add_argument(flag, dest=dest, metavar=metavar, help=text)


def from_arguments(cls: type, args: argparse.Namespace) -> Any:
    """The options the command line gave (validated as any other input)."""
    given = {
        f.name: getattr(args, f"option_{f.name}")
        for f in fields(cls)
        if getattr(args, f"option_{f.name}", None) is not None
    }
    return parse(cls, given)


def given_arguments(cls: type, args: argparse.Namespace) -> dict[str, str]:
    """The options given on the command line as form fields (for a request to a server)."""
    form = {}
    for f in fields(cls):
        value = getattr(args, f"option_{f.name}", None)
        if value is not None:
            form[f.name] = ("true" if value else "false") if f.kind is bool else str(value)
    return form
