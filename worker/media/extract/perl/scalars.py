"""Perl scalars: numbers and strings as one type, truth, and the operators (perlop, perldata).

A value behaves as in Perl: ``"12abc" + 1 == 13``, ``3.0`` prints as ``3``,
``undef`` is ``None``; strings hold bytes (latin-1 ``str``). References (``\\$val``)
are :class:`Ref`; ExifTool uses them to mark binary data.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable

Scalar = int | float | str | None

_NUM_RE = re.compile(r"\s*([-+]?)(inf(?:inity)?|nan|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)", re.I)


class Ref:
    """A Perl reference to a scalar; ExifTool returns ``\\$val`` for binary values."""

    __slots__ = ("value",)

    def __init__(self, value: Scalar) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Ref({self.value!r})"


class LvRef(Ref):
    """``\\$_[0]``: a reference through which a helper writes back (Sony's ``Decipher``)."""

    __slots__ = ("_get", "_set")

    def __init__(self, get: Callable[[], object], set_: Callable[[object], object]) -> None:
        self._get = get
        self._set = set_

    @property
    def value(self) -> object:  # type: ignore[override]
        return self._get()

    @value.setter
    def value(self, new: object) -> None:
        self._set(new)


class Env(dict):
    """Variables of one evaluation (``$val`` is key ``'$val'``) plus the shared state.

    ``$self`` / ``$et`` are the extraction state (a dict: ``Make``, ``Model`` and the
    values tables save with ``DataMember``), like ExifTool's object hash.
    """

    def set(self, key: str, value: object) -> object:
        self[key] = value
        return value

    def arr(self, key: str) -> list:
        value = self.get(key)
        if value is None:
            value = self[key] = []
        return value

    def set_arr(self, key: str, values: Iterable) -> list:
        self[key] = list(values)
        return self[key]

    def hash(self, key: str) -> dict:
        value = self.get(key)
        if value is None:
            value = self[key] = {}
        return value

    def set_hash(self, key: str, values: Iterable) -> list:
        """``%h = (k1, v1, k2, v2)``."""
        items = list(values)
        self[key] = {pstr(items[i]): items[i + 1] for i in range(0, len(items) - 1, 2)}
        return items

    def set_list(self, names: list, values: Iterable) -> list:
        values = list(values)
        for i, name in enumerate(names):
            if name is None:
                continue
            if name.startswith("@"):
                self[name] = values[i:]
                break
            self[name] = values[i] if i < len(values) else None
        return values


class Return(Exception):
    """``return`` inside an expression (``$x or return undef``)."""

    def __init__(self, value: object) -> None:
        self.value = value


def ret(value: object) -> object:
    raise Return(value)


class ConversionError(Exception):
    """A translated expression could not be evaluated by us (a missing helper, an
    untranslated expression): a failure of exifq, reported (see :mod:`.failures`)."""


class PerlDie(ConversionError):
    """A translated Perl expression failed (ExifTool's ``eval`` would return undef)."""


# --------------------------------------------------------------------------- scalars


def num(v: object) -> int | float:
    """Perl numeric value of a scalar: the leading number of a string, else 0."""
    if v is None or v == "":
        return 0
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, Ref):
        return id(v)
    if isinstance(v, list):
        return len(v)
    m = _NUM_RE.match(v)
    if not m:
        return 0
    text = m.group(2)
    sign = -1 if m.group(1) == "-" else 1
    low = text.lower()
    if low.startswith("inf"):
        return sign * math.inf
    if low == "nan":
        return math.nan
    if "." in text or "e" in low:
        return sign * float(text)
    return sign * int(text)


def pstr(v: object) -> str:
    """Perl string value: integers plainly, floats with 15 significant digits."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "1" if v else ""
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isinf(v):
            return "Inf" if v > 0 else "-Inf"
        if math.isnan(v):
            return "NaN"
        if v == int(v) and abs(v) < 1e15:
            return str(int(v))
        return f"{v:.15g}"
    if isinstance(v, Ref):
        return f"SCALAR(0x{id(v):x})"
    if isinstance(v, list):
        return f"ARRAY(0x{id(v):x})"
    return str(v)


def truth(v: object) -> bool:
    """Perl truth: undef, ``''``, ``'0'`` and 0 are false."""
    if v is None:
        return False
    if isinstance(v, str):
        return v != "" and v != "0"
    if isinstance(v, list):
        return bool(v)
    if isinstance(v, (int, float)):
        return v != 0
    return True


def last(values: list) -> object:
    """A list in scalar context (the comma operator): its last element."""
    return values[-1] if values else None


def flat(*lists: Iterable) -> list:
    out: list = []
    for item in lists:
        out.extend(item)
    return out


def not_(v: object) -> object:
    return "" if truth(v) else 1


def or_(a: object, b: Callable[[], object]) -> object:
    return a if truth(a) else b()


def and_(a: object, b: Callable[[], object]) -> object:
    return b() if truth(a) else a


def dor(a: object, b: Callable[[], object]) -> object:
    return a if a is not None else b()


def _int_result(x: float | int) -> int | float:
    if isinstance(x, float) and x.is_integer() and abs(x) < 2**53:
        return int(x)
    return x


def add(a: object, b: object) -> int | float:
    return num(a) + num(b)


def sub(a: object, b: object) -> int | float:
    return num(a) - num(b)


def mul(a: object, b: object) -> int | float:
    return num(a) * num(b)


def div(a: object, b: object) -> int | float:
    d = num(b)
    if d == 0:
        raise PerlDie("Illegal division by zero")
    return _int_result(num(a) / d)


def mod(a: object, b: object) -> int:
    d = int(num(b))
    if d == 0:
        raise PerlDie("Illegal modulus zero")
    return int(num(a)) % d


def pow_(a: object, b: object) -> int | float:
    """``**`` computes in doubles, as Perl does (so ``2**5000`` is inf, not a huge integer)."""
    x, y = float(num(a)), float(num(b))
    try:
        r = x**y
    except OverflowError:
        return math.inf
    except ZeroDivisionError:
        raise PerlDie("pow") from None
    if isinstance(r, complex):
        return math.nan
    return _int_result(r)


def neg(a: object) -> object:
    if isinstance(a, str) and a and not _NUM_RE.match(a):
        return "-" + a
    return -num(a)


_U64 = (1 << 64) - 1


def _uv(a: object) -> int:
    return int(num(a)) & _U64


def band(a: object, b: object) -> int:
    return _uv(a) & _uv(b)


def bor(a: object, b: object) -> int:
    return _uv(a) | _uv(b)


def bxor(a: object, b: object) -> int:
    return _uv(a) ^ _uv(b)


def bnot(a: object) -> int:
    return ~_uv(a) & _U64


def shl(a: object, b: object) -> int:
    return (_uv(a) << int(num(b))) & _U64


def shr(a: object, b: object) -> int:
    return _uv(a) >> int(num(b))


def cat(a: object, b: object) -> str:
    return pstr(a) + pstr(b)


def rep(a: object, b: object) -> str:
    return pstr(a) * max(0, int(num(b)))


def rep_list(a: list, b: object) -> list:
    return list(a) * max(0, int(num(b)))


def num_eq(a: object, b: object) -> int | str:
    return 1 if num(a) == num(b) else ""


def num_ne(a: object, b: object) -> int | str:
    return 1 if num(a) != num(b) else ""


def num_lt(a: object, b: object) -> int | str:
    return 1 if num(a) < num(b) else ""


def num_gt(a: object, b: object) -> int | str:
    return 1 if num(a) > num(b) else ""


def num_le(a: object, b: object) -> int | str:
    return 1 if num(a) <= num(b) else ""


def num_ge(a: object, b: object) -> int | str:
    return 1 if num(a) >= num(b) else ""


def num_cmp(a: object, b: object) -> int:
    x, y = num(a), num(b)
    return (x > y) - (x < y)


def str_eq(a: object, b: object) -> int | str:
    return 1 if pstr(a) == pstr(b) else ""


def str_ne(a: object, b: object) -> int | str:
    return 1 if pstr(a) != pstr(b) else ""


def str_lt(a: object, b: object) -> int | str:
    return 1 if pstr(a) < pstr(b) else ""


def str_gt(a: object, b: object) -> int | str:
    return 1 if pstr(a) > pstr(b) else ""


def str_le(a: object, b: object) -> int | str:
    return 1 if pstr(a) <= pstr(b) else ""


def str_ge(a: object, b: object) -> int | str:
    return 1 if pstr(a) >= pstr(b) else ""


def str_cmp(a: object, b: object) -> int:
    x, y = pstr(a), pstr(b)
    return (x > y) - (x < y)


def or_v(a: object, b: object) -> object:
    return a if truth(a) else b


def and_v(a: object, b: object) -> object:
    return b if truth(a) else a


def dor_v(a: object, b: object) -> object:
    return a if a is not None else b


def postinc(v: object, setter: Callable[[object], object], d: int) -> object:
    setter(num(v) + d)
    return v


def prange(a: object, b: object) -> list:
    lo, hi = int(num(a)), int(num(b))
    if hi - lo > 1_000_000:
        raise PerlDie("range too large")
    return list(range(lo, hi + 1))
