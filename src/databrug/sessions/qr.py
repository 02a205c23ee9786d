"""The pairing QR code, rendered cheaply: a fixed mask skips segno's search over all eight masks.

Any mask gives a valid, readable code (ISO/IEC 18004 defines all eight); the search only picks the one with
the lowest penalty score. Measured here for a 100-character pairing URL (version 5, level M): default mask
search ~13 ms per code on a loaded machine (5 ms idle), a fixed mask ~2.5 ms (1.5 ms idle); SVG ~1.5 ms more.
"""

from __future__ import annotations

import io
from typing import Final

import segno

QR_MASK: Final = 2
QR_ERROR: Final = "m"


def pairing_qr(url: str) -> segno.QRCode:
    """A QR code (not micro) for ``url`` with error correction level M and the fixed mask."""
    return segno.make(url, error=QR_ERROR, mask=QR_MASK, micro=False, boost_error=False)


def qr_svg(url: str, *, scale: int = 6, border: int = 4, title: str | None = None) -> str:
    """An inline ``<svg>`` element (no XML declaration) for embedding in the page."""
    svg: str = pairing_qr(url).svg_inline(scale=scale, border=border, title=title, dark="#000", light="#fff")
    return svg


def qr_png(url: str, *, scale: int = 6, border: int = 4) -> bytes:
    """PNG bytes (for the fake camera of the end-to-end tests, or an ``<img>`` fallback)."""
    out = io.BytesIO()
    pairing_qr(url).save(out, kind="png", scale=scale, border=border)
    return out.getvalue()
