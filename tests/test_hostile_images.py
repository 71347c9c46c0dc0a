"""Images built to exhaust Haven: a 1 x 39,000,000 strip and a 40-megapixel PNG, both tiny
files. Each is decoded in a fresh process, so its time and peak memory are its own; normal
and large ordinary images are still read and hashed."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from bot.images import (
    HASH_DISTANCE,
    WORK_SIDE,
    ImageRejected,
    decode,
    hash_distance,
    known_image_hashes,
    read_text,
    size_refusal,
)
from tests.imagegen import meme, photo

# Decode, hash and read an image file in a fresh Python; report what it cost beyond the
# imports (peak resident memory) and how long it took.
COST = """
import json, re, sys, time
from bot.images import ImageRejected, decode, image_hashes, read_text

def peak_mb():  # this process's own peak (ru_maxrss would count the parent's, from the fork)
    status = open("/proc/self/status").read()
    return int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) / 1024

data = open(sys.argv[1], "rb").read()
before, start = peak_mb(), time.monotonic()
try:
    image = decode(data)
    image_hashes(image)
    if sys.argv[2] == "ocr":
        read_text(image, dictionary=set(), timeout=20)
    outcome = "decoded %dx%d" % image.size
except ImageRejected as reason:
    outcome = "rejected: %s" % reason
print(json.dumps({"outcome": outcome, "seconds": time.monotonic() - start,
                  "peak_mb": peak_mb() - before}))
"""

TESSERACT = shutil.which("tesseract") is not None


def encoded(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def cost(tmp_path, data: bytes) -> dict:
    if not Path("/proc/self/status").exists():
        pytest.skip("measures memory with Linux's /proc")
    path = tmp_path / "image"
    path.write_bytes(data)
    run = subprocess.run([sys.executable, "-c", COST, str(path), "ocr" if TESSERACT else ""],
                         capture_output=True, text=True, timeout=120, check=True)
    return json.loads(run.stdout.splitlines()[-1])


def test_a_one_pixel_wide_strip_is_refused_at_once(tmp_path):
    strip = encoded(Image.new("L", (1, 39_000_000), "white"), optimize=True)
    assert len(strip) < 100_000  # 76 KB on Slack
    spent = cost(tmp_path, strip)
    assert spent["outcome"].startswith("rejected: too thin")
    # before: decoded, scaled and hashed at full size: 34 s and 2.9 GB
    assert spent["seconds"] < 2 and spent["peak_mb"] < 50


def test_a_40_megapixel_png_is_scaled_down_before_hashing_and_reading(tmp_path):
    big = encoded(Image.new("RGB", (8000, 5000), "white"), optimize=True)
    assert len(big) < 200_000
    spent = cost(tmp_path, big)
    assert spent["outcome"] == f"decoded {WORK_SIDE}x{WORK_SIDE * 5 // 8}"
    # its pixels (160 MB as Pillow keeps them) are decoded once and nothing else is made at
    # full size (before: 390 MB, with a grey copy and arrays of it to find the border)
    assert spent["seconds"] < 10 and spent["peak_mb"] < 250


@pytest.mark.parametrize(("size", "reason"), [
    ((1, 39_000_000), "too thin"),
    ((39_000_000, 1), "too thin"),
    ((26, 1), "too thin"),
    ((30_001, 1300), "too long a side"),
    ((8000, 5001), "too many pixels"),
    ((0, 10), "empty"),
])
def test_sizes_out_of_bounds_are_refused_with_the_reason(size, reason):
    assert reason in size_refusal(*size)


@pytest.mark.parametrize("size", [(1170, 20_000), (12_000, 2000), (8000, 5000), (25, 1),
                                  (1, 1)])
def test_long_screenshots_panoramas_and_big_photos_are_accepted(size):
    assert size_refusal(*size) is None


def test_a_refused_header_costs_no_decoding():
    header_only = encoded(Image.new("L", (1, 39_000_000)))[:200]  # no pixel data at all
    with pytest.raises(ImageRejected, match="too thin"):
        decode(header_only)


def test_a_large_jpeg_photo_is_decoded_at_a_reduced_scale_and_hashes_like_a_small_copy():
    original = photo("astronaut", (6000, 6000))
    big = decode(encoded(original, "JPEG", quality=90))
    small = decode(encoded(original.resize((600, 600)), "JPEG", quality=90))
    assert max(big.size) <= WORK_SIDE and big.size[0] == big.size[1]
    assert all(hash_distance(a, b) <= HASH_DISTANCE
               for a, b in zip(known_image_hashes(big), known_image_hashes(small), strict=True))


@pytest.mark.needs("tesseract")
def test_the_caption_of_a_large_meme_is_still_read(model):
    from bot.images import dictionary_for

    large = meme("nobody wants you on this team", background="coffee", size=(4000, 3000))
    for fmt in ("PNG", "JPEG"):
        reading = read_text(decode(encoded(large, fmt)), dictionary=dictionary_for(model))
        assert reading.text.lower() == "nobody wants you on this team", fmt
