"""Perl value semantics for the conversions generated from ExifTool's tag tables.

ExifTool's tables carry small Perl expressions (``$val / 100``,
``$$self{Model} =~ /EOS 5D/``, ``my @a = split ' ', $val; ...``);
:mod:`.codegen.perl2py` translated them into Python that calls the helpers here,
so a value behaves as in Perl: a string and a number are one scalar type
(``"12abc" + 1 == 13``, ``3.0`` prints as ``3``), ``undef`` is ``None``, strings
hold bytes (latin-1 ``str``, the same code points as the bytes), lists flatten.
References (``\\$val``) become :class:`Ref`; ExifTool uses them to mark binary data.

Reference: perlop, perldata, perlfunc (``pack``, ``unpack``, ``sprintf``, ``split``).
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Callable, Iterable
from functools import lru_cache

Scalar = int | float | str | None

_NUM_RE = re.compile(r"\s*([-+]?)(inf(?:inity)?|nan|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)", re.I)


class Ref:
    """A Perl reference to a scalar; ExifTool returns ``\\$val`` for binary values."""

    __slots__ = ("value",)

    def __init__(self, value: Scalar) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Ref({self.value!r})"


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
        raise ConversionError("Illegal division by zero")
    return _int_result(num(a) / d)


def mod(a: object, b: object) -> int:
    d = int(num(b))
    if d == 0:
        raise ConversionError("Illegal modulus zero")
    return int(num(a)) % d


def pow_(a: object, b: object) -> int | float:
    """``**`` computes in doubles, as Perl does (so ``2**5000`` is inf, not a huge integer)."""
    x, y = float(num(a)), float(num(b))
    try:
        r = x**y
    except OverflowError:
        return math.inf
    except ZeroDivisionError:
        raise ConversionError("pow") from None
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
        raise ConversionError("range too large")
    return list(range(lo, hi + 1))


# --------------------------------------------------------------------------- containers


def hget(base: object, key: object) -> object:
    if isinstance(base, dict):
        return base.get(pstr(key))
    return None


def hset(base: object, key: object, value: object) -> object:
    if not isinstance(base, dict):
        raise ConversionError("not a hash")
    base[pstr(key)] = value
    return value


def aget(base: object, idx: object) -> object:
    if not isinstance(base, list):
        return None
    i = int(num(idx))
    if -len(base) <= i < len(base):
        return base[i]
    return None


def aset(base: object, idx: object, value: object) -> object:
    if not isinstance(base, list):
        raise ConversionError("not an array")
    i = int(num(idx))
    if i < 0:
        i += len(base)
    if i < 0 or i > 100_000:
        raise ConversionError("array index")
    while len(base) <= i:
        base.append(None)
    base[i] = value
    return value


def aref(items: list) -> list:
    return list(items)


def lslice(values: list, idx: list) -> list:
    out = []
    for i in idx:
        k = int(num(i))
        out.append(values[k] if -len(values) <= k < len(values) else None)
    return out


def deref(v: object) -> object:
    if isinstance(v, Ref):
        return v.value
    if isinstance(v, (str, list)):
        return v  # $$valPt: our data pointers are the data itself
    return v


def deref_set(v: object, value: object) -> object:
    if isinstance(v, Ref):
        v.value = value
        return value
    raise ConversionError("cannot assign through this reference")


def ref_to(v: object) -> Ref:
    return v if isinstance(v, Ref) else Ref(v)


def ref(v: object) -> str:
    if isinstance(v, Ref):
        return "SCALAR"
    if isinstance(v, list):
        return "ARRAY"
    if isinstance(v, dict):
        return "HASH"
    return ""


def scalar(v: object) -> object:
    if isinstance(v, list) and len(v) == 1:
        return v[0]
    return v


def shift_(values: list) -> object:
    return values.pop(0) if values else None


def pop_(values: list) -> object:
    return values.pop() if values else None


def push(target: list, items: list) -> int:
    target.extend(items)
    return len(target)


def unshift(target: list, items: list) -> int:
    target[:0] = items
    return len(target)


def reverse(args: list) -> list:
    return list(reversed(args))


def sort(args: list) -> list:
    return sorted(args, key=pstr)


def map_(V: Env, fn: Callable[[Env], object], values: list) -> list:
    out = []
    saved = V.get("$_")
    for item in values:
        V["$_"] = item
        result = fn(V)
        out.extend(result if isinstance(result, list) else [result])
    V["$_"] = saved
    return out


def grep(V: Env, fn: Callable[[Env], object], values: list) -> list:
    out = []
    saved = V.get("$_")
    for item in values:
        V["$_"] = item
        if truth(fn(V)):
            out.append(item)
    V["$_"] = saved
    return out


# --------------------------------------------------------------------------- builtins


def defined(v: object) -> bool:
    return v is not None


def length(v: object) -> int | None:
    return None if v is None else len(pstr(v))


def lc(v: object) -> str:
    return pstr(v).lower()


def uc(v: object) -> str:
    return pstr(v).upper()


def lcfirst(v: object) -> str:
    s = pstr(v)
    return s[:1].lower() + s[1:]


def ucfirst(v: object) -> str:
    s = pstr(v)
    return s[:1].upper() + s[1:]


def ord_(v: object) -> int:
    s = pstr(v)
    return ord(s[0]) if s else 0


def chr_(v: object) -> str:
    n = int(num(v))
    return chr(n) if 0 <= n < 0x110000 else "\ufffd"


def hex_(v: object) -> int:
    s = pstr(v).strip().lower().removeprefix("0x").replace("_", "")
    m = re.match(r"[0-9a-f]*", s)
    return int(m.group(), 16) if m.group() else 0


def oct_(v: object) -> int:
    s = pstr(v).strip().lower().replace("_", "")
    if s.startswith("0x"):
        return hex_(s)
    if s.startswith("0b"):
        m = re.match(r"[01]*", s[2:])
        return int(m.group(), 2) if m.group() else 0
    m = re.match(r"[0-7]*", s)
    return int(m.group(), 8) if m.group() else 0


def int_(v: object) -> int | float:
    x = num(v)
    if isinstance(x, float):
        if math.isinf(x) or math.isnan(x):
            return x
        return int(x)
    return x


def abs_(v: object) -> int | float:
    return abs(num(v))


def sqrt(v: object) -> float:
    x = num(v)
    if x < 0:
        raise ConversionError("Can't take sqrt of negative")
    return math.sqrt(x)


def log(v: object) -> float:
    x = num(v)
    if x <= 0:
        raise ConversionError("Can't take log of non-positive")
    return math.log(x)


def exp(v: object) -> float:
    try:
        return math.exp(num(v))
    except OverflowError:
        return math.inf


def sin(v: object) -> float:
    return math.sin(num(v))


def cos(v: object) -> float:
    return math.cos(num(v))


def atan2(args: list) -> float:
    return math.atan2(num(args[0]), num(args[1]))


def join(args: list, items: list | None = None) -> str:
    if items is not None:  # ``P.join(sep, array)``, as the generator writes ``"@a"``
        args = [args, *items]
    if not args:
        return ""
    sep = pstr(args[0])
    return sep.join(pstr(a) for a in args[1:])


def index(args: list) -> int:
    s, t = pstr(args[0]), pstr(args[1])
    start = int(num(args[2])) if len(args) > 2 else 0
    return s.find(t, max(0, start))


def rindex(args: list) -> int:
    s, t = pstr(args[0]), pstr(args[1])
    if len(args) > 2:
        return s.rfind(t, 0, int(num(args[2])) + len(t))
    return s.rfind(t)


def quotemeta(v: object) -> str:
    return re.sub(r"(\W)", r"\\\1", pstr(v))


def substr(args: list) -> str | None:
    s = pstr(args[0])
    off = int(num(args[1]))
    if off < 0:
        off += len(s)
    if off < 0 or off > len(s):
        return None
    if len(args) > 2 and args[2] is not None:
        n = int(num(args[2]))
        end = off + n if n >= 0 else len(s) + n
        return s[off : max(off, end)]
    return s[off:]


def split(pattern: object, value: object, limit: object = 0) -> list:
    """Perl ``split``: ``' '`` splits on whitespace runs, trailing empties dropped."""
    s = pstr(value)
    lim = int(num(limit))
    if isinstance(pattern, tuple):
        rx, flags = pattern
        if rx == " ":
            rx = r"\s+"
            s = s.lstrip()
        compiled = _regex(rx, flags)
    else:
        if pattern == " ":
            compiled = _regex(r"\s+", 0)
            s = s.lstrip()
        else:
            compiled = _regex(pattern, 0)
    if s == "":
        return []
    if compiled.pattern == "":
        parts = list(s)
    else:
        parts = []
        pos = 0
        n = 0
        for m in compiled.finditer(s):
            if lim > 0 and n >= lim - 1:
                break
            if m.end() == 0:
                continue
            if m.start() == m.end() and m.start() >= len(s):
                break
            parts.append(s[pos : m.start()])
            parts.extend(g for g in m.groups())
            pos = m.end()
            n += 1
        parts.append(s[pos:])
    if lim <= 0:
        while parts and (parts[-1] is None or parts[-1] == ""):
            parts.pop()
    return parts


_SPRINTF_RE = re.compile(
    r"%(?P<flags>[-+ 0#]*)(?P<vec>v?)(?P<width>\*|\d+)?(?:\.(?P<prec>\*|\d+))?"
    r"(?P<len>hh|h|ll|l|q|L|V)?(?P<conv>[%csduoxXeEfFgGbB])"
)


def sprintf(args: list) -> str:
    """Perl ``sprintf`` with the conversions ExifTool uses (``%d %x %s %f %g %c %b %v``)."""
    if not args:
        return ""
    fmt = pstr(args[0])
    values = list(args[1:])
    out = []
    pos = 0
    vi = 0

    def take() -> object:
        nonlocal vi
        v = values[vi] if vi < len(values) else None
        vi += 1
        return v

    for m in _SPRINTF_RE.finditer(fmt):
        out.append(fmt[pos : m.start()])
        pos = m.end()
        conv = m.group("conv")
        if conv == "%":
            out.append("%")
            continue
        flags = m.group("flags")
        width = m.group("width")
        if width == "*":
            width = str(int(num(take())))
        prec = m.group("prec")
        if prec == "*":
            prec = str(int(num(take())))
        spec = "%" + flags + (width or "") + ("." + prec if prec is not None else "")
        v = take()
        if m.group("vec"):
            out.append(".".join(str(ord(c)) for c in pstr(v)))
            continue
        if conv in "di":
            x = num(v)
            x = int(x) if not (isinstance(x, float) and (math.isinf(x) or math.isnan(x))) else -1
            out.append((spec + "d") % x)
        elif conv in "uoxXbB":
            x = int(num(v))
            if x < 0:
                x &= _U64
            if conv in "bB":
                text = format(x, "b")
                if prec is not None:
                    text = text.zfill(int(prec))
                if "#" in flags and x:
                    text = "0b" + text
                w = int(width or 0)
                pad = "0" if "0" in flags and "-" not in flags else " "
                text = text.ljust(w) if "-" in flags else text.rjust(w, pad)
                out.append(text)
            else:
                out.append((spec + ("d" if conv == "u" else conv)) % x)
        elif conv in "eEfFgG":
            out.append((spec + conv) % float(num(v)))
        elif conv == "c":
            out.append(chr_(v))
        else:
            out.append((spec + "s") % pstr(v))
    out.append(fmt[pos:])
    return "".join(out)


# --------------------------------------------------------------------------- pack / unpack

_PACK_RE = re.compile(r"([aAZbBhHcCsSlLqQjJfdFnNvVuUwxX@.])([<>!]*)(\*|\[\d+\]|\d+)?")
_STRUCT = {
    "c": "b",
    "C": "B",
    "s": "h",
    "S": "H",
    "l": "i",
    "L": "I",
    "q": "q",
    "Q": "Q",
    "j": "q",
    "J": "Q",
    "f": "f",
    "d": "d",
    "F": "d",
    "n": "H",
    "N": "I",
    "v": "H",
    "V": "I",
}


def unpack(args: list) -> list:
    """Perl ``unpack`` for the template letters ExifTool's tables use."""
    template = pstr(args[0])
    data = pstr(args[1]) if len(args) > 1 else ""
    raw = data.encode("latin-1", "replace")
    out: list = []
    pos = 0
    for m in _PACK_RE.finditer(template.replace(" ", "")):
        code, mods, cnt = m.group(1), m.group(2), m.group(3)
        star = cnt == "*"
        n = 1 if cnt is None else (0 if star else int(cnt.strip("[]")))
        if code in "aAZ":
            size = len(raw) - pos if star else n
            chunk = raw[pos : pos + size].decode("latin-1")
            pos += size
            if code == "A":
                chunk = chunk.rstrip(" \x00\t\n\r")
            elif code == "Z":
                chunk = chunk.split("\x00", 1)[0]
            out.append(chunk)
        elif code in "bB":
            bits = len(raw) * 8 - pos * 8 if star else n
            nbytes = (bits + 7) // 8
            chunk = raw[pos : pos + nbytes]
            pos += nbytes
            text = "".join(format(b, "08b")[:: -1 if code == "b" else 1] for b in chunk)
            out.append(text[:bits])
        elif code in "hH":
            digits = (len(raw) - pos) * 2 if star else n
            nbytes = (digits + 1) // 2
            chunk = raw[pos : pos + nbytes]
            pos += nbytes
            text = chunk.hex() if code == "H" else "".join(f"{b & 15:x}{b >> 4:x}" for b in chunk)
            out.append(text[:digits])
        elif code == "x":
            pos += 1 if cnt is None else (0 if star else n)
        elif code == "X":
            pos = max(0, pos - (1 if cnt is None else n))
        elif code == "@":
            pos = n
        elif code == "w":
            count = n if not star else 1 << 30
            while count and pos < len(raw):
                value = 0
                while pos < len(raw):
                    b = raw[pos]
                    pos += 1
                    value = (value << 7) | (b & 0x7F)
                    if not b & 0x80:
                        break
                out.append(value)
                count -= 1
        elif code == "U":
            text = raw[pos:].decode("utf-8", "replace")
            take = len(text) if star else n
            out.extend(ord(c) for c in text[:take])
            pos += len(text[:take].encode("utf-8"))
        elif code in _STRUCT:
            fmt = _STRUCT[code]
            if code in "nN":
                order = ">"
            elif code in "vV":
                order = "<"
            elif ">" in mods:
                order = ">"
            elif "<" in mods:
                order = "<"
            else:
                order = "<"  # native order of the machines ExifTool runs on
            size = struct.calcsize(fmt)
            count = (len(raw) - pos) // size if star else n
            for _ in range(count):
                if pos + size > len(raw):
                    break
                value = struct.unpack_from(order + fmt, raw, pos)[0]
                if code in "nv" and "!" in mods and value >= 0x8000:
                    value -= 0x10000
                if code in "NV" and "!" in mods and value >= 0x80000000:
                    value -= 0x100000000
                out.append(value)
                pos += size
        else:
            raise ConversionError(f"unpack {code}")
    return out


def pack(args: list) -> str:
    """Perl ``pack`` for the simple templates ExifTool's conversions use."""
    template = pstr(args[0])
    values = list(args[1:])
    out = bytearray()
    for m in _PACK_RE.finditer(template.replace(" ", "")):
        code, mods, cnt = m.group(1), m.group(2), m.group(3)
        star = cnt == "*"
        n = 1 if cnt is None else (0 if star else int(cnt.strip("[]")))
        if code in "aAZ":
            s = pstr(values.pop(0) if values else "").encode("latin-1", "replace")
            if star:
                out += s + (b"\x00" if code == "Z" else b"")
            else:
                pad = b" " if code == "A" else b"\x00"
                out += s[:n].ljust(n, pad)
        elif code in "hH":
            s = pstr(values.pop(0) if values else "")
            if not star:
                s = s[:n]
            if len(s) % 2:
                s += "0"
            if code == "h":
                s = "".join(s[i + 1] + s[i] for i in range(0, len(s), 2))
            out += bytes.fromhex(s)
        elif code == "x":
            out += b"\x00" * n
        elif code in _STRUCT:
            fmt = _STRUCT[code]
            order = ">" if code in "nN" or ">" in mods else "<"
            count = len(values) if star else n
            for _ in range(count):
                v = values.pop(0) if values else 0
                x = num(v)
                if fmt in "fd":
                    out += struct.pack(order + fmt, float(x))
                else:
                    bits = struct.calcsize(fmt) * 8
                    out += struct.pack(
                        order + fmt.upper() if fmt.islower() else order + fmt,
                        int(x) & ((1 << bits) - 1),
                    )
        else:
            raise ConversionError(f"pack {code}")
    return out.decode("latin-1")


# --------------------------------------------------------------------------- regexes


@lru_cache(maxsize=4096)
def _regex(pattern: str, flags: int) -> re.Pattern:
    return re.compile(pattern, flags)


def match(V: Env, target: object, pattern: str, flags: int) -> int | str:
    m = _regex(pattern, flags).search(pstr(target))
    if m is None:
        return ""
    V["_m"] = m
    return 1


def match_all(V: Env, target: object, pattern: str, flags: int) -> list:
    out: list = []
    for m in _regex(pattern, flags).finditer(pstr(target)):
        V["_m"] = m
        out.extend(m.groups() if m.groups() else [m.group()])
    return out


def group(V: Env, n: int) -> str | None:
    m = V.get("_m")
    if m is None or n > (m.re.groups if n else 0):
        return None
    return m.group(n)


def subst(
    V: Env,
    current: object,
    setter: Callable[[object], object],
    pattern: str,
    flags: int,
    replacement: Callable[[Env], object],
    count: int,
) -> int | str:
    """``$x =~ s/pattern/replacement/``: returns the number of substitutions."""
    text = pstr(current)
    done = 0

    def repl(m: re.Match) -> str:
        nonlocal done
        done += 1
        V["_m"] = m
        return pstr(replacement(V))

    result = _regex(pattern, flags).sub(repl, text, count=count)
    if done:
        setter(result)
    return done or ""


def subst_r(
    V: Env, current: object, pattern: str, flags: int, replacement: Callable, count: int
) -> str:
    def repl(m: re.Match) -> str:
        V["_m"] = m
        return pstr(replacement(V))

    return _regex(pattern, flags).sub(repl, pstr(current), count=count)


def trans(
    current: object, setter: Callable[[object], object], src: str, dst: str, flags: str
) -> int:
    """``tr/src/dst/`` with the ``c`` (complement), ``d`` (delete) and ``r`` flags."""
    text = pstr(current)
    complement = "c" in flags
    delete = "d" in flags
    if not dst and not delete:
        dst = src
    count = 0
    out = []
    for ch in text:
        inset = (ch in src) != complement
        if not inset:
            out.append(ch)
            continue
        count += 1
        if complement:
            if delete:
                continue
            out.append(dst[-1] if dst else ch)
            continue
        i = src.index(ch)
        if i < len(dst):
            out.append(dst[i])
        elif not delete:
            out.append(dst[-1] if dst else ch)
    if "r" in flags:
        return "".join(out)
    if out != list(text):
        setter("".join(out))
    return count


# --------------------------------------------------------------------------- calls

# ExifTool helper functions and methods the expressions call, registered by name
# (without the ``Image::ExifTool::`` prefix) by :mod:`.exiftool_funcs`.
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


def call(V: Env, name: str, args: list) -> object:
    short = name.removeprefix("Image::ExifTool::").lstrip("&")
    fn = FUNCTIONS.get(short) or FUNCTIONS.get(short.rsplit("::", 1)[-1])
    if fn is None:
        raise ConversionError(f"unknown function {name}")
    return fn(V, *args)


def method_call(V: Env, obj: object, name: str, args: list) -> object:
    fn = METHODS.get(name)
    if fn is None:
        raise ConversionError(f"unknown method {name}")
    return fn(V, *args)


def never(V: Env) -> bool:
    """Stands in for a ``Condition`` the generator could not translate: never chosen."""
    return False


def named(name: str) -> Callable[[Env], object]:
    """A named ExifTool sub used as a conversion (``\\&Image::ExifTool::Sony::ConvMeter2``)."""

    def run(V: Env) -> object:
        fn = FUNCTIONS.get(name) or FUNCTIONS.get(name.rsplit("::", 1)[-1])
        if fn is None:
            raise ConversionError(f"unknown function {name}")
        return fn(V, V.get("$val"), V.get("$self"))

    return run


def lookup(table: dict[str, object]) -> Callable[[Env], object]:
    """A ``ValueConv`` given as a hash: the converted value is looked up by the raw one."""

    def run(V: Env) -> object:
        return table.get(pstr(V.get("$val")), V.get("$val"))

    return run


def conv_list(parts: list) -> Callable[[Env], object]:
    """A ``ValueConv`` given as a list: each space-separated item has its own conversion."""

    def run(V: Env) -> object:
        items = pstr(V.get("$val")).split(" ")
        out = []
        for i, item in enumerate(items):
            fn = parts[i] if i < len(parts) else None
            if fn is None:
                out.append(item)
                continue
            sub = Env(V)
            sub["$val"] = item
            try:
                out.append(pstr(fn(sub)))
            except Return as ret:
                out.append(pstr(ret.value))
        return " ".join(out)

    return run


def evaluate(fn: Callable[[Env], object] | int, env: Env, default: object = None) -> object:
    """Run a translated expression as ExifTool's ``eval`` runs Perl: a ``return`` gives its
    value, any error gives ``default`` (the tag then keeps no value, or its raw one)."""
    if isinstance(fn, int):
        return fn
    try:
        return fn(env)
    except Return as ret:
        return ret.value
    except Exception:
        return default


def convert(
    fn: Callable[[Env], object],
    value: object,
    state: dict,
    *,
    default: object = None,
    tag: str | None = None,
) -> object:
    """Apply a ``RawConv``/``ValueConv`` to ``value`` (``$val``, ``@_``) with ``$self`` = state."""
    env = Env({"$val": value, "$self": state, "$et": state, "@_": [value, state]})
    if tag is not None:
        env["$tag"] = tag
    return evaluate(fn, env, default)
