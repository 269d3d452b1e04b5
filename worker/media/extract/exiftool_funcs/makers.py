"""Maker-note helpers the tables call (Canon.pm, Pentax.pm, Sony.pm, Samsung.pm, Apple.pm...).

Written from the behaviour of the subs of the same names in those ExifTool modules.
"""

from __future__ import annotations

import re
import struct

from .. import perl as P
from ..perl import Env, num, pstr, register
from .base import as_bytes as _bytes
from .base import byte_order as _order

# ------------------------------------------------------------------ makers


@register("Canon::CanonEv")
def canon_ev(V: Env, value: object, *rest: object) -> float:
    """``Canon.pm CanonEv``: Canon's 1/32-EV codes, with 1/3 and 2/3 steps made exact."""
    val = int(num(value))
    sign = -1 if val < 0 else 1
    val = abs(val)
    frac = val & 0x1F
    val -= frac
    if frac == 0x0C:
        frac = 0x20 / 3
    elif frac == 0x14:
        frac = 0x40 / 3
    return sign * (val + frac) / 0x20


@register("Canon::CameraISO")
def canon_camera_iso(V: Env, value: object, inverse: object = None, *rest: object) -> object:
    val = int(num(value))
    if val == 0x7FFF:
        return None
    if val & 0x4000:
        return val & 0x3FFF
    lookup = {0: "n/a", 14: "Auto High", 15: "Auto", 16: 50, 17: 100, 18: 200, 19: 400, 20: 800}
    return lookup.get(val, f"Unknown ({val})")


@register("Canon::Validate")
def canon_validate(V: Env, data: object, offset: object, *sizes: object) -> object:
    raw = _bytes(data)
    pos = int(num(offset))
    if pos < 0 or pos + 2 > len(raw):
        return None
    first = struct.unpack_from(_order(V) + "H", raw, pos)[0]
    return 1 if any(num(s) == first for s in sizes) else None


@register("Canon::ValidateAFInfo")
def canon_validate_af_info(
    V: Env, data: object, offset: object, size: object, *rest: object
) -> int:
    raw = _bytes(data)
    pos = int(num(offset))
    if num(size) < 24 or pos < 0 or pos + 12 > len(raw):
        return 0
    af, _, w1, h1, w2, h2 = struct.unpack_from(_order(V) + "6H", raw, pos)
    if af not in (1, 5, 7, 9, 15, 45, 53) or not (h1 and w1):
        return 0
    f1 = w1 / h1
    if any(abs(f1 - r) < 0.01 for r in (1.33, 1.67, 0.75, 0.60)):
        return 1
    if not (h2 and w2) or w1 == h1:
        return 0
    f2 = w2 / h2
    return 1 if abs(1 - f1 / f2) < 0.01 or abs(1 - f1 * f2) < 0.01 else 0


@register("Canon::SwapWords")
def canon_swap_words(V: Env, value: object, *rest: object) -> str:
    words = [int(num(w)) for w in pstr(value).split()]
    return " ".join(str(((w >> 16) | (w << 16)) & 0xFFFFFFFF) for w in words)


@register("Pentax::PentaxEv")
def pentax_ev(V: Env, value: object, *rest: object) -> float:
    val = num(value)
    if int(val) & 0x01:
        sign = -1 if val < 0 else 1
        frac = int(val * sign) & 0x07
        if frac == 0x03:
            val += sign * (8 / 3 - frac)
        elif frac == 0x05:
            val += sign * (16 / 3 - frac)
    return val / 8


@register("Pentax::CryptShutterCount")
def pentax_crypt_shutter_count(V: Env, value: object, et: object = None, *rest: object) -> object:
    """``Pentax.pm CryptShutterCount``: the count is XORed with the camera's date and time."""
    state = V.get("$self") or {}
    date, clock = state.get("PentaxDate"), state.get("PentaxTime")
    if not date or not clock or len(pstr(date)) != 4 or len(pstr(clock)) < 3:
        return None
    d = struct.unpack(">I", _bytes(date))[0]
    t = struct.unpack(">I", (_bytes(clock) + b"\x00")[:4])[0]
    return int(num(value)) ^ d ^ (0xFFFFFFFF - t)


@register("Sony::ConvMeter1")
def sony_conv_meter1(V: Env, value: object, *rest: object) -> object:
    raw = _bytes(value)
    if len(raw) != 90:
        return P.Ref(pstr(value))
    return " ".join(str(v) for v in struct.unpack("<" + "HII" * 9 + "", raw[:90]))


@register("Sony::ConvMeter2")
def sony_conv_meter2(V: Env, value: object, *rest: object) -> object:
    raw = _bytes(value)
    if len(raw) != 110:
        return P.Ref(pstr(value))
    return " ".join(str(v) for v in struct.unpack("<" + "HII" * 11, raw[:110]))


@register("Sony::ConvLensSpec")
def sony_conv_lens_spec(V: Env, value: object, *rest: object) -> object:
    raw = _bytes(value)
    if len(raw) != 8:
        return P.Ref(pstr(value))
    flags1 = raw[0:1].hex()
    short = int(raw[1:3].hex())
    long_ = int(raw[3:5].hex())
    f_short = int(raw[5:6].hex(), 16) if re.search("[a-f]", raw[5:6].hex()) else int(raw[5:6].hex())
    f_long = int(raw[6:7].hex(), 16) if re.search("[a-f]", raw[6:7].hex()) else int(raw[6:7].hex())
    flags2 = raw[7:8].hex()
    return " ".join([flags1, str(short), str(long_), pstr(f_short / 10), pstr(f_long / 10), flags2])


@register("Samsung::Crypt")
def samsung_crypt(
    V: Env,
    et: object,
    value: object,
    tag: object = None,
    inverse: object = 0,
    key: object = "",
    *rest: object,
) -> str:
    """``Samsung.pm Crypt``: subtract the repeating key digits from each number."""
    keys = [int(k) for k in re.findall(r"\d", pstr(key))] or [0]
    neg = pstr(key).startswith("-")
    values = pstr(value).split()
    out = []
    for i, v in enumerate(values):
        k = keys[i % len(keys)]
        if neg:
            k = -k
        out.append(str(int(num(v)) + (k if P.truth(inverse) else -k)))
    return " ".join(out)


@register("Apple::ConvertPLIST")
def apple_convert_plist(V: Env, value: object, *rest: object) -> object:
    """``Apple.pm ConvertPLIST``: a binary PLIST value decoded (a dict becomes a struct)."""
    from ..plist import parse_binary_plist, plist_value

    obj = parse_binary_plist(_bytes(value))
    if obj is None:
        return None
    return plist_value(obj)
