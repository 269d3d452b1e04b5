"""2-D Haar wavelet transforms computed exactly as PyWavelets computes them.

imagehash's wHash runs ``pywt.wavedec2``/``pywt.waverec2`` with the ``haar``
wavelet and thresholds coefficients at their median, so matching it bit for
bit takes PyWavelets' floating-point operations, not just the same transform.
For arrays with even sides (wHash only uses powers of two) the default
``symmetric`` mode never extends the signal, and PyWavelets' C convolutions
reduce to these two-term sums, with the filter taps ±1/√2 as stored in
``pywt.Wavelet("haar")``:

- decomposition (``downsampling_convolution``): a = c·x[2i+1] + c·x[2i],
  d = c·x[2i] − c·x[2i+1];
- reconstruction (``upsampling_convolution_valid_sf``, approximation first,
  detail added): x[2i] = c·a + c·d, x[2i+1] = c·a − c·d.

A 2-D level transforms axis 0 then axis 1 (``dwtn``); the inverse goes axis 1
then axis 0 (``idwtn``). Coefficient lists are laid out as PyWavelets does:
``[cA_n, (cH_n, cV_n, cD_n), ..., (cH_1, cV_1, cD_1)]``.

Reference: PyWavelets ``pywt/_extensions/c/convolution.template.c`` and
``pywt/_multilevel.py``, https://github.com/PyWavelets/pywt.
"""

from __future__ import annotations

import numpy as np

# pywt.Wavelet("haar").dec_lo[0]: 1/√2 rounded to double.
_C = 0.7071067811865476

Details = tuple[np.ndarray, np.ndarray, np.ndarray]


def _halves(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """The even- and odd-indexed samples along ``axis`` (views)."""
    return (
        x[(slice(None),) * axis + (slice(0, None, 2),)],
        x[(slice(None),) * axis + (slice(1, None, 2),)],
    )


def _split(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """One Haar analysis step along ``axis``: (approximation, detail)."""
    even, odd = _halves(x, axis)
    return _C * odd + _C * even, _C * even - _C * odd


def _low(x: np.ndarray, axis: int) -> np.ndarray:
    """The approximation half of :func:`_split` alone."""
    even, odd = _halves(x, axis)
    return _C * odd + _C * even


def _merge(approx: np.ndarray, detail: np.ndarray, axis: int) -> np.ndarray:
    """One Haar synthesis step along ``axis``, the inverse of :func:`_split`."""
    shape = list(approx.shape)
    shape[axis] *= 2
    out = np.empty(shape, dtype=np.float64)
    out[(slice(None),) * axis + (slice(0, None, 2),)] = _C * approx + _C * detail
    out[(slice(None),) * axis + (slice(1, None, 2),)] = _C * approx - _C * detail
    return out


def dwt2(x: np.ndarray) -> tuple[np.ndarray, Details]:
    """One 2-D level, like ``pywt.dwt2(x, "haar")``: ``(cA, (cH, cV, cD))``."""
    low, high = _split(x, 0)
    aa, ad = _split(low, 1)
    da, dd = _split(high, 1)
    return aa, (da, ad, dd)


def idwt2(approx: np.ndarray, details: Details) -> np.ndarray:
    """Inverse of one 2-D level, like ``pywt.idwt2((cA, (cH, cV, cD)), "haar")``."""
    da, ad, dd = details
    low = _merge(approx, ad, 1)
    high = _merge(da, dd, 1)
    return _merge(low, high, 0)


def wavedec2(x: np.ndarray, level: int) -> list:
    """Multilevel decomposition, like ``pywt.wavedec2(x, "haar", level=level)``.

    Each side of ``x`` must be divisible by 2**level.
    """
    approx = np.asarray(x, dtype=np.float64)
    if any(side % (1 << level) for side in approx.shape):
        raise ValueError(f"shape {approx.shape} is not divisible by 2**{level}")
    details: list[Details] = []
    for _ in range(level):
        approx, detail = dwt2(approx)
        details.append(detail)
    return [approx, *reversed(details)]


def waverec2(coeffs: list) -> np.ndarray:
    """Multilevel reconstruction, like ``pywt.waverec2(coeffs, "haar")``."""
    approx = coeffs[0]
    for details in coeffs[1:]:
        approx = idwt2(approx, details)
    return approx


def approximation(x: np.ndarray, level: int) -> np.ndarray:
    """``wavedec2(x, level)[0]`` without keeping the detail coefficients."""
    approx = np.asarray(x, dtype=np.float64)
    for _ in range(level):
        approx = _low(_low(approx, 0), 1)
    return approx
