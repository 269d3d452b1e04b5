"""Perl arrays, hashes and references, and the builtins on scalars (perlfunc)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from .scalars import Env, PerlDie, Ref, num, pstr, truth

# --------------------------------------------------------------------------- containers


def hget(base: object, key: object) -> object:
    if isinstance(base, dict):
        return base.get(pstr(key))
    return None


def hset(base: object, key: object, value: object) -> object:
    if not isinstance(base, dict):
        raise PerlDie("not a hash")
    base[pstr(key)] = value
    return value


def hdelete(base: object, key: object) -> object:
    """``delete $h{key}``: the value removed (``undef`` when there was none)."""
    return base.pop(pstr(key), None) if isinstance(base, dict) else None


def slice_indices(values: list, idx: list) -> list[int]:
    """The positions ``foreach (@a[...])`` aliases, as non-negative indices; the array grows to
    hold those past its end, as an lvalue slice does in Perl (perlsyn "Foreach Loops")."""
    out = []
    for i in idx:
        k = int(num(i))
        if k < 0:
            k += len(values)
            if k < 0:
                raise PerlDie("Modification of non-creatable array value attempted")
        values.extend([None] * (k + 1 - len(values)))
        out.append(k)
    return out


def aget(base: object, idx: object) -> object:
    if not isinstance(base, list):
        return None
    i = int(num(idx))
    if -len(base) <= i < len(base):
        return base[i]
    return None


def aset(base: object, idx: object, value: object) -> object:
    if not isinstance(base, list):
        raise PerlDie("not an array")
    i = int(num(idx))
    if i < 0:
        i += len(base)
    if i < 0 or i > 100_000:
        raise PerlDie("array index")
    while len(base) <= i:
        base.append(None)
    base[i] = value
    return value


def ahash(items: list) -> dict:
    """``{ k1 => v1, ... }``: an anonymous hash."""
    return {pstr(items[i]): items[i + 1] for i in range(0, len(items) - 1, 2)}


def keys(h: object) -> list:
    return list(h) if isinstance(h, dict) else []


def values(h: object) -> list:
    return list(h.values()) if isinstance(h, dict) else []


def assign_list(setters: list[Callable[[object], object]], items: list) -> list:
    """``($a, $b) = LIST``."""
    items = list(items)
    for i, setter in enumerate(setters):
        setter(items[i] if i < len(items) else None)
    return items


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
    raise PerlDie("cannot assign through this reference")


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


def splice(target: list, args: list) -> list:
    """``splice @a, OFFSET, LENGTH, LIST``: remove (and replace) elements in place."""
    offset = int(num(args[0])) if args else 0
    if offset < 0:
        offset += len(target)
    offset = max(0, min(offset, len(target)))
    end = len(target)
    if len(args) > 1 and args[1] is not None:
        length = int(num(args[1]))
        end = offset + length if length >= 0 else max(offset, len(target) + length)
    removed = target[offset:end]
    target[offset:end] = args[2:]
    return removed


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
        raise PerlDie("Can't take sqrt of negative")
    return math.sqrt(x)


def log(v: object) -> float:
    x = num(v)
    if x <= 0:
        raise PerlDie("Can't take log of non-positive")
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


def join(args: list) -> str:
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
