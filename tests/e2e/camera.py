"""Chromium's fake camera, fed with the QR code the computer page shows.

``--use-file-for-fake-video-capture`` plays a Y4M file in a loop as the phone's camera. The file is made from
a screenshot of the QR element: the PNG is placed, with a white quiet zone, on camera-sized frames (the code
at slightly different sizes and places) written as planar YUV 4:2:0 (what Y4M's ``C420`` means).
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

WIDTH, HEIGHT = 960, 720
# A hand-held phone never sees the same picture twice: each frame shows the code a little larger or smaller
# and a little shifted. Identical frames would let one unlucky picture fail forever.
POSES = [(0.92, 0, 0), (0.80, -30, 10), (0.86, 25, -15), (0.74, 10, 25), (0.95, -12, -8), (0.68, -25, -20)]
FRAME_REPEAT = 2


def y4m_from_png(png: bytes, target: Path) -> None:
    qr = Image.open(io.BytesIO(png)).convert("RGB")
    half = (WIDTH // 2, HEIGHT // 2)
    frames = []
    for size, dx, dy in POSES:
        side = round(min(WIDTH, HEIGHT) * size)
        shown = qr.resize((side, side), Image.Resampling.BILINEAR)
        frame = Image.new("RGB", (WIDTH, HEIGHT), "white")
        frame.paste(shown, ((WIDTH - side) // 2 + dx, (HEIGHT - side) // 2 + dy))
        y, u, v = frame.convert("YCbCr").split()
        planes = y.tobytes() + u.resize(half).tobytes() + v.resize(half).tobytes()
        frames.extend([b"FRAME\n" + planes] * FRAME_REPEAT)
    header = f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F5:1 Ip A1:1 C420jpeg\n".encode("ascii")
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(header + b"".join(frames))
    tmp.replace(target)


def blank_y4m(target: Path) -> None:
    """A camera that sees nothing (needed at browser start, before any QR code exists)."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
    y4m_from_png(buffer.getvalue(), target)
