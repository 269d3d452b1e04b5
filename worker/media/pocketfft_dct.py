"""The DCT-II exactly as ``scipy.fftpack.dct`` computes it, with numpy alone.

imagehash's pHash thresholds the low-frequency DCT coefficients of a 32×32
image at their median. On flat or nearly flat images those coefficients are
rounding noise, so matching imagehash bit for bit takes the very same
floating-point operations as SciPy, not just the same transform.

SciPy computes an unnormalised DCT-II of length N with pocketfft's ``T_dcst23``:
pre-process the input in place, run one real *backward* FFT of length N on it
(read as half-complex data), and post-process with the twiddles
cos(2π(k+1)/4N) as pocketfft's ``sincos_2pibyn`` computes them. numpy ≥ 2
vendors the same C++ pocketfft behind ``numpy.fft.irfft``, so doing the pre-
and post-processing here with the same operations in the same order gives
identical results (the tests check this against SciPy).

Reference: pocketfft_hdronly.hpp (``T_dcst23::exec``, ``sincos_2pibyn``),
https://gitlab.mpcdf.mpg.de/mtr/pocketfft (cpp branch).
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np

# pocketfft's π as a long-double literal.
_PI = "3.141592653589793238462643383279502884197"


def _unit_root(x: int, n: int, ang: float) -> tuple[float, float]:
    """(cos, sin) of 2π·x/n for 2x ≤ n, by pocketfft's octant reduction (``sincos_2pibyn::calc``).

    Only the first half circle is implemented: the DCT twiddles never need more.
    """
    x <<= 3
    if x > 4 * n:
        raise ValueError("angle beyond the first half circle")
    if x == 4 * n:  # exactly π: pocketfft takes its third-quadrant branch
        return -1.0, -0.0
    if x < n:
        return math.cos(x * ang), math.sin(x * ang)
    if x < 2 * n:
        return math.sin((2 * n - x) * ang), math.cos((2 * n - x) * ang)
    x -= 2 * n
    if x < n:
        return -math.sin(x * ang), math.cos(x * ang)
    return -math.cos((2 * n - x) * ang), math.sin((2 * n - x) * ang)


def _unit_root_cosines(n: int, count: int) -> np.ndarray:
    """cos(2π·i/n) for i = 1..count, as pocketfft's two-table ``sincos_2pibyn`` gives them.

    pocketfft stores roots for the low and the high bits of i in two tables
    and multiplies one entry of each (valid for 2i ≤ n).
    """
    ang = float(np.longdouble(0.25) * np.longdouble(_PI) / np.longdouble(n))
    nval = (n + 2) // 2
    shift = 1
    while (1 << shift) * (1 << shift) < nval:
        shift += 1
    mask = (1 << shift) - 1
    low = [(1.0, 0.0)] + [_unit_root(i, n, ang) for i in range(1, mask + 1)]
    high = [(1.0, 0.0)] + [
        _unit_root(i * (mask + 1), n, ang) for i in range(1, (nval + mask) >> shift)
    ]
    cosines = []
    for i in range(1, count + 1):
        (ar, ai), (br, bi) = low[i & mask], high[i >> shift]
        cosines.append(ar * br - ai * bi)
    return np.array(cosines, dtype=np.float64)


@cache
def _twiddles(n: int) -> np.ndarray:
    """pocketfft's DCT-II twiddles for length n: cos(2π(i+1)/4n), i = 0..n-1."""
    if n < 2 or n % 2:
        raise ValueError(f"only even lengths are implemented, not {n}")
    return _unit_root_cosines(4 * n, n)


def dct2(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Unnormalised DCT-II along ``axis``, bit-identical to ``scipy.fftpack.dct(x, axis=axis)``.

    y[k] = 2 Σ x[j] cos(πk(2j+1)/2N); implemented for even N (imagehash uses 32).
    """
    moved = np.moveaxis(np.asarray(x, dtype=np.float64), axis, -1)
    n = moved.shape[-1]
    twiddle = _twiddles(n)
    half = n // 2

    # Pre-processing, then the half-complex layout (r0, r1, i1, ..., r_n/2) that
    # pocketfft's real backward FFT reads, padded to (r0, 0, r1, i1, ..., r_n/2, 0)
    # so it can be viewed as the complex half spectrum numpy's irfft takes.
    buf = np.zeros((*moved.shape[:-1], n + 2), dtype=np.float64)
    buf[..., 0] = moved[..., 0] * 2
    before, after = moved[..., 1 : n - 1 : 2], moved[..., 2 : n - 1 : 2]
    buf[..., 2:n:2] = before + after  # MPINPLACE(c[k+1], c[k]): c[k] = c[k] + c[k+1]
    buf[..., 3:n:2] = after - before  # c[k+1] = c[k+1] - c[k]
    buf[..., n] = moved[..., n - 1] * 2
    res = np.fft.irfft(buf.view(np.complex128), n=n, axis=-1, norm="forward")

    # k = 1 .. n/2-1 and its mirror kc = n-k (as reversed slices).
    k, kc = slice(1, half), slice(n - 1, half, -1)
    tw_k, tw_kc = twiddle[: half - 1], twiddle[n - 2 : half - 1 : -1]
    t1 = tw_k * res[..., kc] + tw_kc * res[..., k]
    t2 = tw_k * res[..., k] - tw_kc * res[..., kc]
    out = np.empty_like(res)
    out[..., 0] = res[..., 0]
    out[..., k] = 0.5 * (t1 + t2)
    out[..., kc] = 0.5 * (t1 - t2)
    out[..., half] = res[..., half] * twiddle[half - 1]
    return np.moveaxis(out, -1, axis)
