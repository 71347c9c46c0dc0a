"""Reading memes and screenshots: safe decoding, OCR word recall, and the verdict."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from bot.images import ImageRejected, decode, dictionary_for, judge, read_text
from tests.imagegen import caption_bar, chat_screenshot, meme, samples


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def dictionary(model):
    return dictionary_for(model)


def recall(expected: str, read: str) -> float:
    """Share of the expected words that were read (punctuation around them ignored)."""
    words = {w.strip(".,;:!?'\"|()[]\u2018\u2019\u201c\u201d") for w in read.lower().split()}
    wanted = expected.lower().split()
    return sum(w in words for w in wanted) / len(wanted)


# -- decoding ---------------------------------------------------------------------------------
def test_a_truncated_file_is_rejected():
    data = png(meme("you are a useless idiot", size=(400, 300)))
    with pytest.raises(ImageRejected, match="broken"):
        decode(data[: len(data) // 2])


def test_a_pdf_named_png_is_rejected():
    with pytest.raises(ImageRejected, match="not an image"):
        decode(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")


def test_a_decompression_bomb_is_rejected_before_decoding():
    bomb = png(Image.new("1", (10_000, 5_000)))  # 50 megapixels in a few kilobytes
    assert len(bomb) < 100_000
    with pytest.raises(ImageRejected, match="too many pixels"):
        decode(bomb)


def test_an_animated_gif_is_read_from_its_first_frame():
    first = meme("nobody wants you here", size=(480, 360)).convert("P")
    second = Image.new("P", (480, 360))
    buffer = io.BytesIO()
    first.save(buffer, "GIF", save_all=True, append_images=[second], duration=200, loop=0)
    image = decode(buffer.getvalue())
    assert image.size == (480, 360) and np.asarray(image).std() > 10


def test_webp_and_jpeg_decode():
    for fmt in ("WEBP", "JPEG"):
        buffer = io.BytesIO()
        meme("hello", size=(300, 200)).save(buffer, fmt)
        assert decode(buffer.getvalue()).size == (300, 200)


# -- reading --------------------------------------------------------------------------------------
@pytest.mark.needs("tesseract")
@pytest.mark.parametrize(("make", "text"), [
    (lambda t: meme(t, background="astronaut"), "nobody wants you on this team"),
    (lambda t: meme(t, background="coffee", color="yellow"), "vrouwen horen niet op kantoor"),
    (lambda t: caption_bar(t), "ga terug naar je eigen land"),
    (lambda t: chat_screenshot([("Mark", t)]), "you are too stupid to write code"),
    (lambda t: chat_screenshot([("Mark", t)], dark=True), "jij bent een waardeloze sukkel"),
    (lambda t: chat_screenshot([("Mark", t)], size=(750, 1334), text_size=26),
     "send me a picture tonight"),
])
def test_text_is_read_from_memes_and_screenshots(dictionary, make, text):
    reading = read_text(make(text), dictionary=dictionary)
    assert recall(text, reading.text) >= 0.8, reading


@pytest.mark.needs("tesseract")
def test_word_recall_and_verdicts_over_a_varied_set(model, dictionary):
    cases = samples(24, seed=3)
    recalls, flagged = [], []
    for case in cases:
        verdict = judge(png(case.image), model=model, dictionary=dictionary, known=[])
        recalls.append(recall(case.text, verdict["ocr_text"]))
        flagged.append(verdict["flagged"])
    harassing = [f for f, c in zip(flagged, cases, strict=True) if c.harassing]
    benign = [f for f, c in zip(flagged, cases, strict=True) if not c.harassing]
    assert np.mean(recalls) >= 0.75
    assert np.mean(benign) <= 0.2
    # 12 images a side: one image is 8%. benchmarks/ocr.py measures on more.
    if np.mean(harassing) < 0.8:
        pytest.xfail("issue 12: at the workplace threshold the text model misses identity "
                     f"hate read from images ({np.mean(harassing):.0%} of 12 flagged)")


def test_an_image_without_text_is_not_flagged(model, dictionary):
    from tests.imagegen import photo

    verdict = judge(png(photo("chelsea", (640, 480))), model=model, dictionary=dictionary,
                    known=[])
    assert not verdict["flagged"] and verdict["matched_known_image"] is None


def _copy(image: Image.Image, how: str) -> Image.Image:
    """A re-shared copy: re-encoded, resized, cropped, or framed."""
    from PIL import ImageOps

    if how == "resize":
        image = image.resize((image.width // 2, image.height // 2))
    elif how == "crop":
        w, h = image.size
        image = image.crop((w // 25, h // 25, w - w // 25, h - h // 25))
    elif how == "border":
        image = ImageOps.expand(image, min(image.size) // 15, fill="black")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=70)
    return decode(buffer.getvalue())


@pytest.mark.needs("tesseract")  # without the words they contain, 14 of 16 copies match
def test_known_images_are_matched_after_resharing_and_nothing_else_is(model, dictionary):
    from bot.images import closest_match, fingerprint, image_hashes, text_words
    from tests.imagegen import BENIGN, PHOTOS, photo

    known_images = [meme("you are a useless idiot", background="astronaut", size=(800, 600)),
                    meme("vrouwen horen niet op kantoor", background="rocket", size=(900, 600)),
                    photo("chelsea", (640, 480)),
                    chat_screenshot([("Mark", "everyone laugh at Sanne")], size=(750, 1334))]
    known = []
    for i, image in enumerate(known_images):
        print_ = fingerprint(png(image), dictionary)
        known.append((i, print_.hashes, print_.words))

    def match(image):
        words = text_words(read_text(image, dictionary=dictionary).text, dictionary)
        return closest_match(image_hashes(image), words, known)

    copies = [(i, _copy(image, how)) for i, image in enumerate(known_images)
              for how in ("jpeg", "resize", "crop", "border")]
    hits = [match(copy) for _, copy in copies]
    assert sum(h is not None and h[0] == i for (i, _), h in zip(copies, hits, strict=True)) \
        >= 0.95 * len(copies)
    others = [p for p in PHOTOS if p not in {"astronaut", "rocket", "chelsea"}]
    unrelated = [meme(text, background=others[j % len(others)], size=(800, 600))
                 for j, text in enumerate(BENIGN["en"][:6] + BENIGN["nl"][:6])]
    unrelated += [photo(name, (640, 480)) for name in ("coffee", "coins", "hubble_deep_field")]
    unrelated += [chat_screenshot([("Tom", text)], size=(750, 1334)) for text in BENIGN["nl"][:5]]
    assert [match(image) for image in unrelated] == [None] * len(unrelated)
