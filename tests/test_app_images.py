"""Images in watched channels, end to end: download with the bot token, OCR, known images,
the private notice, and every way a file can be unusable."""

from __future__ import annotations

import io
import logging
import time

import pytest
from PIL import Image, ImageOps

from bot import render
from bot.blocks import BLOCK_IMAGE_SHORTCUT
from bot.demo import ADMIN, AUTHOR, GENERAL, TARGET
from bot.slack_double import wait_for
from bot.storage.models import Evidence, EvidenceFile, Flag, KnownImage
from tests.imagegen import meme, photo
from tests.scenarios import rows, set_up


def encoded(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def share(local, file_id: str, data: bytes, text: str = "", **file_options) -> None:
    """Mark shares a file in #general (a ``file_share`` message), mentioning Sanne."""
    entry = local.double.add_file(file_id, data, **file_options)
    local.player.message(AUTHOR, GENERAL, f"<@{TARGET}> {text}".strip(), subtype="file_share",
                         files=[entry])



@pytest.mark.needs("tesseract")
def test_a_hurtful_meme_is_flagged_and_its_evidence_keeps_the_image(local):
    set_up(local)
    data = encoded(meme("you are a useless idiot", size=(1280, 720)))
    share(local, "F0MEME001", data)
    notice = wait_for(lambda: local.double.dms_to(TARGET), timeout=30)
    shown = render.blocks(notice[0]["blocks"])
    assert "an image that may be hurtful" in shown and "Text Haven read in the image" in shown
    assert local.double.downloads == [{"file": "F0MEME001", "authorised": True}]
    stored, = rows(local, EvidenceFile)
    assert local.haven.vault.open_bytes(stored.cipher) == data and data not in stored.cipher
    flag, = rows(local, Flag)
    assert flag.event_id.endswith(":F0MEME001")
    evidence = next(e for e in rows(local, Evidence) if e.id == flag.evidence_id)
    bundle = local.haven.vault.open(evidence.cipher)
    assert bundle["kind"] == "image" and len(bundle["image_sha256"]) == 64
    assert bundle["ocr_text"] and bundle["ocr_text"].split()[0] in shown


def test_a_friendly_meme_is_left_alone(local):
    set_up(local)
    share(local, "F0MEME002", encoded(meme("great job team", "we crushed it", size=(960, 540))))
    assert wait_for(lambda: local.double.downloads, timeout=10)
    time.sleep(3)
    assert local.double.dms_to(TARGET) == [] and rows(local, Flag) == []


def test_a_known_offensive_image_is_matched_after_resharing(local):
    set_up(local)
    original = photo("astronaut", (640, 640))  # no text at all
    entry = local.double.add_file("F0KNOWN01", encoded(original))
    local.player.shortcut(ADMIN, GENERAL, {"type": "message", "user": AUTHOR,
                                           "ts": "1700000000.000500", "files": [entry]},
                          BLOCK_IMAGE_SHORTCUT)
    assert wait_for(lambda: rows(local, KnownImage))
    assert "Marked 1 image" in wait_for(lambda: local.double.dms_to(ADMIN))[0]["text"]
    reshared = ImageOps.expand(original.resize((480, 480)), 20, fill="white")
    share(local, "F0KNOWN02", encoded(reshared, "JPEG", quality=70),
          name="funny.jpg", mimetype="image/jpeg", filetype="jpg")
    notice = wait_for(lambda: local.double.dms_to(TARGET), timeout=30)
    assert "matches an image your admins marked as offensive" in \
        render.blocks(notice[0]["blocks"])


def test_only_admins_can_mark_images(local):
    set_up(local)
    entry = local.double.add_file("F0KNOWN03", encoded(photo("coffee", (300, 200))))
    local.player.shortcut(TARGET, GENERAL, {"type": "message", "user": AUTHOR,
                                            "ts": "1700000000.000600", "files": [entry]},
                          BLOCK_IMAGE_SHORTCUT)
    assert "only workspace admins" in wait_for(lambda: local.double.dms_to(TARGET))[0]["text"]
    assert rows(local, KnownImage) == []


def test_unusable_files_are_skipped_with_the_reason_and_never_crash(local, caplog):
    caplog.set_level(logging.INFO)
    set_up(local)
    hurtful = meme("you are a useless idiot", size=(640, 360))
    truncated = encoded(hurtful)[:3000]
    bomb = encoded(Image.new("1", (10_000, 5_000)))
    pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
    share(local, "F0DENIED1", encoded(hurtful), deny_download=True)
    share(local, "F0TRUNC01", truncated)
    share(local, "F0BOMB001", bomb)
    share(local, "F0PDFPNG1", pdf, name="totally.png")
    share(local, "F0DOCX001", b"PK\x03\x04", name="notes.docx",
          mimetype="application/vnd.openxmlformats", filetype="docx")
    assert wait_for(lambda: sum("skipped" in r.getMessage() for r in caplog.records) >= 4,
                    timeout=20)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    lines = {line.split(" skipped: ")[0]: line for line in logged.splitlines()
             if " skipped: " in line}
    for file_id, reason in (("F0DENIED1", "HTTP 401"), ("F0TRUNC01", "broken"),
                            ("F0BOMB001", "too many pixels"), ("F0PDFPNG1", "not an image")):
        assert reason in lines[f"file {file_id}"]
    assert "useless idiot" not in logged.lower()
    assert local.double.dms_to(TARGET) == []
    assert "Watched channels" in __import__("tests.scenarios").scenarios.command(
        local, ADMIN, "status")


@pytest.mark.needs("tesseract")
def test_the_first_frame_of_an_animated_gif_is_read(local):
    set_up(local)
    first = meme("you are a useless idiot", size=(640, 360)).convert("P")
    data = encoded(first, "GIF", save_all=True, append_images=[Image.new("P", (640, 360))],
                   duration=100, loop=0)
    share(local, "F0GIF0001", data, name="x.gif", mimetype="image/gif", filetype="gif")
    assert wait_for(lambda: local.double.dms_to(TARGET), timeout=30)
