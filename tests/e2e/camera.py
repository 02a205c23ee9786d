"""Chromium's fake camera, fed with the QR code the computer page shows.

``--use-file-for-fake-video-capture`` plays a Y4M file in a loop as the phone's camera. The file is made from
a screenshot of the QR element: the PNG is placed, with a white quiet zone, on a camera-sized frame and
written as a few identical frames of planar YUV 4:2:0 (what Y4M's ``C420`` means).
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

WIDTH, HEIGHT = 640, 480
FRAMES = 5


def y4m_from_png(png: bytes, target: Path) -> None:
    qr = Image.open(io.BytesIO(png)).convert("RGB")
    side = min(WIDTH, HEIGHT) - 60
    qr.thumbnail((side, side), Image.Resampling.NEAREST)
    frame = Image.new("RGB", (WIDTH, HEIGHT), "white")
    frame.paste(qr, ((WIDTH - qr.width) // 2, (HEIGHT - qr.height) // 2))
    y, u, v = frame.convert("YCbCr").split()
    half = (WIDTH // 2, HEIGHT // 2)
    planes = y.tobytes() + u.resize(half).tobytes() + v.resize(half).tobytes()
    header = f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode("ascii")
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(header + b"".join(b"FRAME\n" + planes for _ in range(FRAMES)))
    tmp.replace(target)


def blank_y4m(target: Path) -> None:
    """A camera that sees nothing (needed at browser start, before any QR code exists)."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
    y4m_from_png(buffer.getvalue(), target)
