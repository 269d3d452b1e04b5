"""Calls into ExifTool's helpers, and how a translated expression is run.

The helpers the expressions call by name are registered here by
:mod:`..exiftool_funcs` (``Get16u``, ``Canon::CanonEv``, ``$self->Decode``).
:func:`evaluate` runs an expression as ExifTool's ``eval`` does: ``return`` gives its
value, a Perl runtime error (:class:`PerlDie`) gives ``undef``; any other error is a
failure of ours (:mod:`.failures`).
"""

from __future__ import annotations

from collections.abc import Callable

from .failures import ExpressionFailure, MissingHelper, NotTranslated, report
from .scalars import Env, PerlDie, Return

# ExifTool helper functions and methods the expressions call, registered by name
# (without the ``Image::ExifTool::`` prefix) by :mod:`..exiftool_funcs`.
FUNCTIONS: dict[str, Callable[..., object]] = {}
METHODS: dict[str, Callable[..., object]] = {}


def register(*names: str) -> Callable:
    def wrap(fn: Callable) -> Callable:
        for name in names:
            FUNCTIONS[name] = fn
        return fn

    return wrap


def register_method(*names: str) -> Callable:
    def wrap(fn: Callable) -> Callable:
        for name in names:
            METHODS[name] = fn
        return fn

    return wrap


def resolve(name: str) -> Callable | None:
    """The helper for a Perl function name: ``Pkg::Name`` as registered, else ``Name`` (the
    ExifTool.pm utilities every module imports: ``Get16u``, ``GetByteOrder``...)."""
    short = name.removeprefix("&").removeprefix("Image::ExifTool::")
    fn = FUNCTIONS.get(short)
    if fn is None and "::" in short:
        fn = FUNCTIONS.get(short.rsplit("::", 1)[-1])
    return fn


def call(V: Env, name: str, args: list) -> object:
    fn = resolve(name)
    if fn is None:
        raise MissingHelper(f"unknown function {name}")
    return fn(V, *args)


def method_call(V: Env, obj: object, name: str, args: list) -> object:
    fn = METHODS.get(name)
    if fn is None:
        raise MissingHelper(f"unknown method {name}")
    return fn(V, *args)


class Untranslated:
    """An expression the generator could not translate: reaching it is a failure."""

    __slots__ = ("perl", "reason")

    def __init__(self, perl: str, reason: str) -> None:
        self.perl = perl
        self.reason = reason

    def __call__(self, V: Env) -> object:
        raise NotTranslated(f"untranslated Perl ({self.reason})")


def untranslated(perl: str, reason: str) -> Untranslated:
    return Untranslated(perl, reason)


def named(name: str) -> Callable[[Env], object]:
    """A named ExifTool sub used as a conversion (``\\&Image::ExifTool::Sony::ConvMeter2``)."""

    def run(V: Env) -> object:
        fn = resolve(name)
        if fn is None:
            raise MissingHelper(f"unknown function {name}")
        args = V.get("@_")
        return fn(V, *(args if isinstance(args, list) else [V.get("$val"), V.get("$self")]))

    run.perl = f"\\&Image::ExifTool::{name}"  # type: ignore[attr-defined]
    return run


def evaluate(
    fn: Callable[[Env], object] | int,
    env: Env,
    default: object = None,
    where: tuple | str | None = None,
    keep: object = None,
) -> object:
    """Run a translated expression as ExifTool's ``eval`` runs Perl.

    ``return`` gives its value; Perl's own runtime errors give ``default``; a failure of
    ours (missing helper, untranslated expression, Python error) is reported with
    ``where`` (table, tag, field) and gives ``keep`` (the raw value, for conversions).
    """
    if isinstance(fn, int):
        return fn
    try:
        return fn(env)
    except Return as ret:
        return ret.value
    except PerlDie:
        return default
    except (ExpressionFailure, RecursionError, MemoryError):
        raise
    except Exception as exc:
        report(fn, where, exc)
        return keep


def convert(
    fn: Callable[[Env], object],
    value: object,
    state: dict,
    *,
    default: object = None,
    tag: str | None = None,
    where: tuple | str | None = None,
) -> object:
    """Apply a ``RawConv``/``ValueConv`` to ``value`` (``$val``, ``@_``) with ``$self`` = state.

    A failure of ours keeps ``value`` (the tag keeps its raw value)."""
    env = Env({"$val": value, "$self": state, "$et": state, "@_": [value, state]})
    if tag is not None:
        env["$tag"] = tag
    return evaluate(fn, env, default, where or tag, keep=value)
