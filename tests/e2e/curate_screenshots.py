"""Copy the README's screenshots from the last e2e run into docs/screenshots/, made small (≤ 12 files).

Run after ``pytest tests/e2e``: ``.venv/bin/python -m tests.e2e.curate_screenshots``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

SOURCE = Path("test-artifacts/screenshots")
TARGET = Path("docs/screenshots")
MAX_WIDTH = 960
MAX_HEIGHT = 1400

# (file in docs/screenshots, test folder, step file): the journey in order, then three failure screens
CHOSEN = [
    ("01-computer-info.png", "test_single_person_journey", "01-computer-info.png"),
    ("02-computer-qr.png", "test_single_person_journey", "04-computer-qr.png"),
    ("03-phone-scan.png", "test_single_person_journey", "06-phone-app-start.png"),
    ("04-phone-code.png", "test_single_person_journey", "07-phone-code.png"),
    ("05-computer-confirm.png", "test_single_person_journey", "08-computer-confirm.png"),
    ("06-phone-sources.png", "test_single_person_journey", "11-phone-sources-done.png"),
    ("07-phone-review.png", "test_the_couples_review_is_short_plain_and_explained", "08-review-closed.png"),
    (
        "08-phone-receipt.png",
        "test_phone_only_start_phases_and_a_receipt_that_stays",
        "04-phone-receipt-acknowledged.png",
    ),
    ("09-computer-done.png", "test_single_person_journey", "15-computer-done.png"),
    ("10-phone-source-down.png", "test_source_down_retry_skip_and_upload", "01-phone-source-down.png"),
    ("11-phone-no-sms-check.png", "test_digid_without_sms_check", "01-digid-no-sms.png"),
    ("12-phone-camera-denied.png", "test_camera_not_allowed", "01-camera-denied.png"),
]


def shrink(source: Path, target: Path) -> None:
    image = Image.open(source).convert("RGB")
    if image.width > MAX_WIDTH:
        image = image.resize(
            (MAX_WIDTH, round(image.height * MAX_WIDTH / image.width)), Image.Resampling.LANCZOS
        )
    if image.height > MAX_HEIGHT:
        image = image.crop((0, 0, image.width, MAX_HEIGHT))
    image.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)


def main() -> int:
    TARGET.mkdir(parents=True, exist_ok=True)
    missing = [f"{folder}/{step}" for _, folder, step in CHOSEN if not (SOURCE / folder / step).exists()]
    if missing:
        print("run the e2e tests first; missing: " + ", ".join(missing), file=sys.stderr)
        return 1
    for name, folder, step in CHOSEN:
        shrink(SOURCE / folder / step, TARGET / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
