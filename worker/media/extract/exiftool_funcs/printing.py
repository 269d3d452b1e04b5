"""More maker-note helpers the tables call: Canon, Minolta, Panasonic, Pentax and Sony.

Written from the behaviour of the subs of the same names in those ExifTool modules;
the data some of them keep in variables of their own (Minolta's white-balance names,
Pentax's filter settings, Sony's lens features) is read from the installed ExifTool
with the tables (:func:`.base.helper_data`).
"""

from __future__ import annotations

from .. import perl as P
from ..perl import Env, num, pstr, register
from .base import helper_data

# fmt: off
_CANON_1D_POINTS = (
    0, 0, 0x04, 0x06, 0x08, 0x0A, 0x0C, 0x0E, 0x10, 0, 0,
    0x21, 0x23, 0x25, 0x27, 0x29, 0x2B, 0x2D, 0x2F, 0x31, 0x33,
    0x40, 0x42, 0x44, 0x46, 0x48, 0x4A, 0x4C, 0x4D, 0x50, 0x52, 0x54,
    0x61, 0x63, 0x65, 0x67, 0x69, 0x6B, 0x6D, 0x6F, 0x71, 0x73, 0, 0,
    0x84, 0x86, 0x88, 0x8A, 0x8C, 0x8E, 0x90, 0, 0, 0, 0, 0,
)
_CANON_1D_ROWS = "  AAAAAAA  BBBBBBBBBBCCCCCCCCCCCDDDDDDDDDD  EEEEEEE     "
# fmt: on


@register("Canon::PrintAFPoints1D")
def print_af_points_1d(V: Env, value: object, *rest: object) -> str:
    """``Canon.pm PrintAFPoints1D``: the EOS-1D's focusing point and active points."""
    raw = pstr(value).encode("latin-1", "replace")
    if len(raw) != 8:
        return "Unknown"
    focus = raw[0]
    bits = "".join(format(b, "08b")[::-1] for b in raw[1:])
    focusing, points, last_row, col = None, [], "", 0
    for i, point in enumerate(_CANON_1D_POINTS):
        row = _CANON_1D_ROWS[i]
        col = col + 1 if row == last_row else 1
        last_row = row
        if focus == point:
            focusing = f"{row}{col}"
        if i < len(bits) and bits[i] == "1":
            points.append(f"{row}{col}")
    if not focusing:
        focusing = "Auto" if focus == 0xFF else f"Unknown (0x{focus:02x})"
    return f"{focusing} ({','.join(points)})"


@register("CanonCustom::ConvertPfn")
def convert_pfn(V: Env, value: object, *rest: object) -> str:
    x = num(value)
    return ("On" if x == 1 else f"On ({pstr(value)})") if x else "Off"


@register("Minolta::ConvertWhiteBalance")
def convert_white_balance(V: Env, value: object, *rest: object) -> str:
    """``Minolta.pm ConvertWhiteBalance``: the setting, with the A2's +-3 shift."""
    names = helper_data("Minolta::ConvertWhiteBalance", "%minoltaWhiteBalance") or {}
    x = int(num(value))
    if str(x) in names:
        return pstr(names[str(x)])
    if x & 0xFFFF0000:
        base = (x & 0xFF000000) + 0x800000
        if str(base) in names:
            return pstr(names[str(base)]) + P.sprintf(["%+.8g", (x - base) / 0x10000])
        return f"Unknown (0x{x:x})"
    return f"Unknown ({x})"


@register("Panasonic::WhiteBalanceConv")
def white_balance_conv(V: Env, value: object, inverse: object = None, *rest: object) -> object:
    x = num(value)
    return f"{pstr(x - 0x8000)} Kelvin" if x > 0x8000 else None


@register("Pentax::DecodeAFPoints")
def decode_af_points(
    V: Env,
    value: object,
    count: object,
    bits: object,
    mask: object,
    bit_value: object = None,
    *rest: object,
) -> str:
    """``Pentax.pm DecodeAFPoints``: the numbers of the AF points whose bits are set."""
    data = [int(num(b)) for b in pstr(value).split()]
    width, total, m = int(num(bits)), int(num(count)), int(num(mask))
    want = int(num(bit_value)) if P.truth(bit_value) else None
    found = []
    for point in range(1, total + 1):
        bit = (point - 1) * width
        byte, shift = divmod(bit, 8)
        if byte >= len(data):
            break
        field = (data[byte] >> (8 - width - shift)) & m
        if (field == want) if want is not None else field:
            found.append(str(point))
    return ",".join(found)


@register("Pentax::PrintFilter")
def print_filter(
    V: Env, value: object, inverse: object = None, conv: object = None, *rest: object
) -> object:
    """``Pentax.pm PrintFilter``: a digital filter and its settings (``Toy Camera; Hue=...``)."""
    settings = helper_data("Pentax::PrintFilter", "%filterSettings") or {}
    names = conv if isinstance(conv, dict) else {}
    items = pstr(value).split()
    if not items:
        return None
    first = items.pop(0)
    out = [pstr(names.get(first)) or f"Unknown ({first})"]
    while len(items) >= 2:
        kind, setting = items.pop(0), items.pop(0)
        if not P.truth(kind):
            continue
        spec = settings.get(kind)
        if not spec:
            out.append(f"Unknown({kind})={setting}")
            continue
        shown = spec[1]
        if isinstance(shown, dict):
            setting = pstr(shown.get(setting)) or f"Unknown({setting})"
        elif P.truth(setting):
            setting = P.sprintf([shown, setting])
        out.append(f"{spec[0]}={setting}")
    return out


@register("Sony::Decipher")
def sony_decipher_ref(V: Env, ref: object, encipher: object = None, *rest: object) -> None:
    """``Sony.pm Decipher``: decipher (``b**3 % 249``) the data a reference points at."""
    from ..makernotes import sony_decipher

    if not isinstance(ref, P.Ref) or P.truth(encipher):
        raise P.ConversionError("Decipher needs a reference (and only deciphers)")
    data = pstr(ref.value).encode("latin-1")
    ref.value = sony_decipher(data).decode("latin-1")


@register("Sony::SetARW")
def set_arw(V: Env, et: object, value: object = None, *rest: object) -> int:
    """``Sony.pm SetARW``: marks the file as ARW; exifq reads no raw data, so nothing else."""
    (V.get("$self") or {})["TIFF_TYPE"] = "ARW"
    return 1


@register("Sony::PrintLensSpec")
def print_lens_spec(V: Env, value: object, *rest: object) -> str:
    """``Sony.pm PrintLensSpec``: ``E 18-55mm F3.5-5.6 OSS`` from LensSpec's six fields."""
    parts = pstr(value).split()
    text = None
    if len(parts) == 2:
        f1, f2 = parts
        text = ""
    elif len(parts) >= 6:
        f1, sf, lf, sa, la, f2 = parts[:6]
        valid = num(sf) and num(sa) and (num(lf) == 0 or num(lf) >= num(sf))
        if valid and (num(la) == 0 or num(la) >= num(sa)):
            if num(lf) != num(sf) and num(lf):
                sf += "-" + lf
            if sa != la and num(la):
                sa += "-" + la
            text = f"{sf}mm F{sa}"
    if text is None:
        return f"Unknown ({pstr(value)})"
    flags = P.hex_(f1 + f2)
    for mask, names, prefix in _lens_features():
        bits = int(num(mask)) & flags
        if not bits and str(bits) not in names:
            continue
        name = pstr(names.get(str(bits))) or f"Unknown({bits:04x})"
        text = (f"{name} {text}" if prefix else f"{text} {name}") if text else name
    return text


def _lens_features() -> list[tuple[object, dict, bool]]:
    features = helper_data("Sony::PrintLensSpec", "@lensFeatures") or []
    return [(f[0], f[1], len(f) > 2 and P.truth(f[2])) for f in features]


@register("Pentax::AFAreasK3III")
def af_areas_k3iii(V: Env, value: object, et: object = None, *rest: object) -> object:
    """``Pentax.pm AFAreasK3III``: each AF area as ``x,y(central,in-focus)``."""
    if not P.truth(value):
        return "(none)"
    vals = pstr(value).split()
    flags = ((0x10, 0x10, "central"), (0x08, 0, "peripheral"), (0x04, 0x04, "in-focus"))
    out = []
    for i in range(0, len(vals) - 6, 7):
        names = [name for mask, want, name in flags if int(num(vals[i + 6])) & mask == want]
        out.append(f"{vals[i + 2]},{vals[i + 3]}" + (f"({','.join(names)})" if names else ""))
    return out


def _k3iii_names() -> list:
    return helper_data("Pentax::AFPointNamesK3III", "@k3iiiAF") or []


@register("Pentax::AFPointNamesK3III")
def af_point_names_k3iii(
    V: Env, value: object, et: object = None, match: object = None, *rest: object
) -> str:
    names = _k3iii_names()
    a = pstr(value).split()
    wanted = num(match) if P.truth(match) else None
    found = [
        pstr(names[i]) if i < len(names) and names[i] else f"Unknown({i})"
        for i, x in enumerate(a)
        if (num(x) == wanted if wanted is not None else P.truth(x))
    ]
    return ",".join(sorted(found)) if found else "(none)"


@register("Pentax::AFPointValuesK3III")
def af_point_values_k3iii(V: Env, value: object, et: object = None, *rest: object) -> str:
    names = _k3iii_names()
    a: list = pstr(value).split()
    out = []
    for i, x in enumerate(a):
        if not P.truth(x):
            continue
        name = names[i] if i < len(names) and names[i] else None
        point = f"{pstr(name)}=" if name else f"{pstr(names[i - 28]) if i >= 28 else ''}=/"
        out.append(f"{point}{pstr(x)}")
        if i + 28 < len(a) and P.truth(a[i + 28]):
            out[-1] += "/" + pstr(a[i + 28])
            a[i + 28] = None
    return ",".join(sorted(out)) if out else "(none)"
