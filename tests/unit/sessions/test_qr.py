"""The pairing QR uses a fixed mask (cheap, deterministic) and level M."""

from __future__ import annotations

import segno

from databrug.sessions.qr import QR_MASK, pairing_qr, qr_png, qr_svg
from databrug.sessions.tokens import PairingToken

URL = "https://broker.example.nl/app/koppel#" + PairingToken.generate().reveal()


def test_the_code_uses_the_fixed_mask_and_level_m() -> None:
    code = pairing_qr(URL)
    assert code.mask == QR_MASK
    assert code.error == "M"
    assert not code.is_micro


def test_a_pairing_url_stays_a_small_code_a_phone_reads_from_a_screen() -> None:
    assert int(pairing_qr(URL).version) <= 6
    assert pairing_qr(URL).version == segno.make(URL, error="m", micro=False, boost_error=False).version


def test_svg_and_png_render_deterministically() -> None:
    svg = qr_svg(URL, title="Scan met de app")
    assert svg.startswith("<svg")
    assert "Scan met de app" in svg
    assert qr_svg(URL) == qr_svg(URL)
    assert qr_svg(URL) != qr_svg(URL + "x")
    png = qr_png(URL)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert png == qr_png(URL)
