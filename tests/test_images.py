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
@pytest.mark.parametrize("frame", ["white", "black"])
def test_a_caption_bar_in_a_frame_is_read_as_a_caption_bar(dictionary, frame):
    """A white frame merges with the bar and is trimmed with it, which leaves the caption at
    the very top of the image; a black frame is trimmed down to the bar. Both were read as
    a meme (no words) before the bar was found under its letters and given a margin."""
    from PIL import ImageOps

    text = "you should just quit already"
    framed = ImageOps.expand(caption_bar(text, background="rocket", size=(800, 800)), 40, frame)
    reading = read_text(framed, dictionary=dictionary)
    assert reading.variant == "bar" and recall(text, reading.text) == 1.0, reading


def test_thick_outlined_letters_are_filled_and_bright_objects_are_not():
    """A caption letter wider than the outline's reach comes out of the mask hollow; its
    middle is filled. A bright coin on a dark photo has a rim the same way and stays
    hollow: filling it would bury the caption in blobs."""
    from PIL import ImageDraw

    from bot.images import _outlined, filled_letters

    image = Image.new("RGB", (1600, 900), (90, 90, 90))
    draw = ImageDraw.Draw(image)
    draw.ellipse((1100, 400, 1400, 700), fill="white", outline="black", width=6)  # a coin
    draw.rectangle((200, 100, 240, 300), fill="white", outline="black", width=6)  # an I, 40 px
    text, light = _outlined(image)
    filled = filled_letters(text, light)
    assert not text[200, 220] and filled[200, 220]  # the stroke's middle: filled
    assert not text[550, 1250] and not filled[550, 1250]  # the coin's middle: left alone
    assert filled[text].all()  # nothing the mask had is lost


def test_photo_texture_read_as_short_words_is_not_a_plausible_reading(dictionary):
    from bot.images import plausibility

    texture = plausibility(["O", "ee", "a", "CD", "sees", "@@co@@", "ES", "Se"], 0.6, dictionary)
    caption = plausibility(["HOU", "JE", "BEK", "TRUT-"], 0.79, dictionary)
    chat = plausibility(["ok", "we", "go", "to", "the", "pub"], 0.9, dictionary)
    assert texture < 0.25 < caption and chat > 0.55


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


@pytest.mark.needs("tesseract")
def test_words_in_an_image_are_judged_at_the_images_operating_point(model, dictionary):
    """A meme saying "send me nudes tonight" is flagged; the same words as the alt text of
    a photo are the sender's own message and are judged as one (under the chat threshold)."""
    from tests.imagegen import photo

    text = "send me nudes tonight"
    assert not model.classify([text])[0].flagged
    as_meme = judge(png(meme(text, background="coffee")), model=model,
                    dictionary=dictionary, known=[])
    assert as_meme["flagged"] and as_meme["ocr_text"].lower().split()[-1] == "tonight"
    as_alt_text = judge(png(photo("chelsea", (640, 480))), model=model, dictionary=dictionary,
                        known=[], extra_texts=[text])
    assert not as_alt_text["flagged"]
    assert as_alt_text["score"] == model.classify([text])[0].score


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


# -- matching by hashes and layout (no Tesseract) -------------------------------------------
def test_the_closest_pair_of_hashes_is_found_for_every_known_image():
    import random

    from bot.images import _closest_pairs, hash_distance

    rng = random.Random(3)
    mine = [f"{rng.getrandbits(64):016x}" for _ in range(9)]
    known = [[f"{rng.getrandbits(64):016x}" for _ in range(rng.randint(0, 8))]
             for _ in range(12)]
    for own, (distance, m, k) in zip(known, _closest_pairs(mine, known), strict=True):
        if not own:
            assert (distance, m, k) == (64, -1, -1)
            continue
        assert distance == min(hash_distance(a, b) for a in mine for b in own)
        assert hash_distance(mine[m], own[k]) == distance


def test_words_are_looked_for_where_the_known_image_has_them():
    from bot.images import same_layout

    # a known caption: three words on one line near the top
    layout = [("nobody", (0.13, 0.05, 0.42, 0.13)), ("wants", (0.47, 0.05, 0.70, 0.13)),
              ("you", (0.73, 0.05, 0.87, 0.13))]
    whole, centre = (0.0, 0.0, 1.0, 1.0), (0.1, 0.1, 0.1, 0.1)
    # a copy cut 5 % per side (its region is the known image's 5 % crop) keeps the words:
    # Tesseract boxed their cut letters one by one
    letters = [(x, 0.0, x + 0.04, 0.05) for x in (0.10, 0.15, 0.20, 0.26, 0.31, 0.36,
                                                   0.48, 0.53, 0.58, 0.63, 0.75, 0.80)]
    assert same_layout(layout, letters, whole, (.05, .05, .05, .05))
    # another caption on the same photo: one long run of letters over the gaps
    assert not same_layout(layout, [(0.05, 0.0, 0.9, 0.05)], whole, (.05, .05, .05, .05))
    # the bare photo: nothing in those rows, some texture elsewhere
    assert not same_layout(layout, [(0.4, 0.5, 0.5, 0.55)], whole, (.05, .05, .05, .05))
    # a copy cut so far that the words are gone finds nothing to compare, and no match
    assert not same_layout(layout, letters, whole, (.2, .2, .2, .2))
    # the words are placed through the region whose hash matched: the copy's centre is the
    # known image's centre when the copy is the whole known image
    assert same_layout(layout, [(0.13, 0.05, 0.42, 0.13), (0.47, 0.05, 0.70, 0.13)],
                       (0.1, 0.1, 0.9, 0.9), centre)
