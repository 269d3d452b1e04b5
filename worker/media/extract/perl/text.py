"""Perl's string builtins with patterns: ``substr``, ``split``, ``sprintf``, ``m//``, ``s///``,
``tr///`` (perlfunc, perlop "Regexp Quote-Like Operators")."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import lru_cache

from .data import chr_
from .scalars import _U64, Env, num, pstr


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


def _binary(x: int, flags: str, width: str | None, prec: str | None) -> str:
    text = format(x, "b")
    if prec is not None:
        text = text.zfill(int(prec))
    if "#" in flags and x:
        text = "0b" + text
    w = int(width or 0)
    pad = "0" if "0" in flags and "-" not in flags else " "
    return text.ljust(w) if "-" in flags else text.rjust(w, pad)


def _format_one(conv: str, flags: str, width: str | None, prec: str | None, v: object) -> str:
    """One ``%`` conversion of Perl's ``sprintf`` (perlfunc sprintf)."""
    spec = "%" + flags + (width or "") + ("." + prec if prec is not None else "")
    if conv in "di":
        x = num(v)
        if isinstance(x, float) and (math.isinf(x) or math.isnan(x)):
            return (spec + "d") % -1
        return (spec + "d") % int(x)
    if conv in "uoxXbB":
        x = int(num(v))
        if x < 0:
            x &= _U64
        if conv in "bB":
            return _binary(x, flags, width, prec)
        return (spec + ("d" if conv == "u" else conv)) % x
    if conv in "eEfFgG":
        return (spec + conv) % float(num(v))
    if conv == "c":
        return chr_(v)
    return (spec + "s") % pstr(v)


def sprintf(args: list) -> str:
    """Perl ``sprintf`` with the conversions ExifTool uses (``%d %x %s %f %g %c %b %v``)."""
    if not args:
        return ""
    fmt = pstr(args[0])
    values = iter(args[1:])
    out = []
    pos = 0
    for m in _SPRINTF_RE.finditer(fmt):
        out.append(fmt[pos : m.start()])
        pos = m.end()
        conv = m.group("conv")
        if conv == "%":
            out.append("%")
            continue
        width, prec = m.group("width"), m.group("prec")
        if width == "*":
            width = str(int(num(next(values, None))))
        if prec == "*":
            prec = str(int(num(next(values, None))))
        v = next(values, None)
        if m.group("vec"):
            out.append(".".join(str(ord(c)) for c in pstr(v)))
        else:
            out.append(_format_one(conv, m.group("flags"), width, prec, v))
    out.append(fmt[pos:])
    return "".join(out)


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


def match_groups(V: Env, target: object, pattern: str, flags: int) -> list:
    """``m//`` in list context: the groups (``(1)`` without groups), ``()`` if no match."""
    m = _regex(pattern, flags).search(pstr(target))
    if m is None:
        return []
    V["_m"] = m
    return list(m.groups()) if m.re.groups else [1]


def match_next(V: Env, target: object, pattern: str, flags: int) -> int | str:
    """``$x =~ /re/g`` in scalar context: the next match after ``pos($x)``, which it moves."""
    text = pstr(target)
    positions = V.setdefault("_pos", {})
    m = _regex(pattern, flags).search(text, positions.get(text, 0))
    if m is None:
        positions.pop(text, None)
        return ""
    V["_m"] = m
    positions[text] = m.end() if m.end() > m.start() else m.end() + 1
    return 1


def pos(V: Env, target: object) -> int | None:
    """``pos($x)``: where the last scalar ``//g`` match on ``$x`` ended."""
    return V.get("_pos", {}).get(pstr(target))


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
