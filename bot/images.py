"""Images: safe decoding, reading their text (Tesseract, English + Dutch), perceptual hashes.

OCR tries the reading that fits the image first — a meme's white or yellow capitals with a
black outline are isolated from the photo behind them; a screenshot is read as it is — and
keeps the most plausible reading: Tesseract's word confidences times the share of words
that are real English or Dutch words.
"""

from __future__ import annotations

import io
import os
import time
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}
MAX_PIXELS = 40_000_000
MAX_SIDE = 30_000  # a long scrolling screenshot is some 20,000 px tall
MAX_ASPECT = 25  # long side over short side: beyond that it is a strip, not a picture
WORK_SIDE = 2048  # decoded images are scaled down to this long side: enough for OCR and hashes
OCR_LONG_SIDE = 1600  # larger images are scaled down first: text stays readable, OCR is faster
MIN_SHORT_SIDE = 600  # small images are scaled up: Tesseract wants text at least ~20 px high
LANGUAGES = "eng+nld"
GOOD_ENOUGH = 0.55  # a reading this plausible is kept without trying other variants
LAST_RESORT = 0.25  # below this after two variants, a third is worth its time
HASH_DISTANCE = 8  # bits (of 64) two hashes of a textless image may differ: one image
TEXT_HASH_DISTANCE = 16  # ... of an image with text, whose words must match as well
SHARED_WORDS = 0.5  # share of a known image's words that a copy must contain

# Pillow's own guard, for any image opened in this process: a warning above MAX_PIXELS and
# an error above twice that (decode() refuses what is over MAX_PIXELS before Pillow would).
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class ImageRejected(ValueError):
    """Not an image Haven reads: the reason is safe to log (never the content)."""


def size_refusal(width: int, height: int, *, max_pixels: int = MAX_PIXELS) -> str | None:
    """Why an image of this size is not decoded, or None: too many pixels, a side too long,
    or so thin that scaling it (a 1 x 39,000,000 strip) would cost more than a photo."""
    if width < 1 or height < 1:
        return f"empty image ({width}x{height})"
    if width * height > max_pixels:
        return f"too many pixels ({width}x{height})"
    if max(width, height) > MAX_ASPECT * min(width, height):
        return f"too thin ({width}x{height})"
    if max(width, height) > MAX_SIDE:
        return f"too long a side ({width}x{height})"
    return None


def decode(data: bytes, *, max_pixels: int = MAX_PIXELS,
           max_side: int = WORK_SIDE) -> Image.Image:
    """An RGB image from file bytes (the first frame of an animation), at most ``max_side``
    pixels on its long side, or ImageRejected.

    Width, height, pixel count and aspect ratio are checked from the header before any
    pixel is decoded, so a decompression bomb costs nothing; a JPEG is decoded at a reduced
    scale; truncated and mislabelled files are rejected. Scaling down here bounds the work
    of hashing and OCR, whatever was shared.
    """
    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError):
        raise ImageRejected("not an image") from None
    except Image.DecompressionBombError:
        raise ImageRejected("too many pixels") from None
    if image.format not in FORMATS:
        raise ImageRejected(f"unsupported format {image.format}")
    reason = size_refusal(image.width, image.height, max_pixels=max_pixels)
    if reason:
        raise ImageRejected(reason)
    try:
        image.seek(0)
        image.draft("RGB", (max_side, max_side))  # JPEG: decode at 1/2, 1/4 or 1/8 scale
        image.load()
        if image.mode not in ("RGB", "L"):  # a palette or 1-bit image resizes badly as is
            image = image.convert("RGB")
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        return image.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError, EOFError):
        raise ImageRejected("broken or truncated image") from None


@dataclass(frozen=True)
class Reading:
    """Text read from an image, how plausible it is, and which preprocessing found it."""

    text: str
    plausibility: float
    variant: str
    seconds: float


def _scaled(image: Image.Image) -> Image.Image:
    long_side, short_side = max(image.size), min(image.size)
    if long_side > OCR_LONG_SIDE:
        factor = OCR_LONG_SIDE / long_side
    elif short_side < MIN_SHORT_SIDE:
        factor = min(3.0, MIN_SHORT_SIDE / short_side)
    else:
        return image
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    return image.resize(size, Image.Resampling.LANCZOS)


def outline_text_mask(image: Image.Image) -> tuple[Image.Image, float]:
    """Meme captions: white or yellow pixels close to a black outline, as black on white.

    Bright areas of the photo are far from any outline and drop out. Returns the mask and
    the share of pixels that look like outlined text (0 for a screenshot).
    """
    from scipy import ndimage

    rgb = np.asarray(image, dtype=np.int16)
    low, high = rgb.min(axis=2), rgb.max(axis=2)
    light = (low > 185) | ((rgb[..., 0] > 170) & (rgb[..., 1] > 170) & (rgb[..., 2] < 110))
    reach = max(5, int(min(image.size) * 0.012) | 1)
    near_outline = ndimage.maximum_filter(high < 80, size=reach)
    text = light & near_outline
    return Image.fromarray(np.where(text, 0, 255).astype(np.uint8)), float(text.mean())


def _variants(image: Image.Image) -> list[tuple[str, Image.Image]]:
    """Preprocessed versions to try, the likeliest first: outlined captions for a meme,
    light-on-dark text inverted for a dark-mode screenshot, the plain image otherwise."""
    mask, share = outline_text_mask(image)
    gray = ImageOps.grayscale(image)
    cut = otsu_threshold(np.asarray(gray))
    if share > 0.004:
        return [("outline", mask), ("gray", gray), ("inverted", ImageOps.invert(gray))]
    if np.asarray(gray).mean() < 110:  # dark mode: light text, made black on white
        cut = max(cut, 128)  # text is far brighter than both background and bubbles
        return [("dark-binary", gray.point(lambda v: 0 if v > cut else 255)),
                ("inverted", ImageOps.invert(gray)), ("outline", mask)]
    return [("gray", gray), ("outline", mask),
            ("binary", gray.point(lambda v: 0 if v < cut else 255))]


def otsu_threshold(gray: np.ndarray) -> int:
    """The grey level that best separates ink from background (Otsu's method)."""
    histogram = np.bincount(gray.ravel(), minlength=256).astype(float)
    weight = np.cumsum(histogram)
    mean = np.cumsum(histogram * np.arange(256))
    total, total_mean = weight[-1], mean[-1]
    between = (total_mean * weight - mean * total) ** 2 / np.maximum(
        weight * (total - weight), 1e-9)
    return int(np.argmax(between))


MIN_WORD_CONFIDENCE = 45  # Tesseract's per-word confidence (0-100): below it, mostly noise


def _words_and_confidence(image: Image.Image, timeout: float, psm: int) -> tuple[list[str], float]:
    """Words Tesseract is reasonably sure of (photo texture reads as low-confidence junk),
    and their mean confidence (0-1)."""
    import pytesseract

    data = pytesseract.image_to_data(image, lang=LANGUAGES, config=f"--psm {psm}",
                                     timeout=timeout, output_type=pytesseract.Output.DICT)
    words, confidences = [], []
    for word, conf in zip(data["text"], data["conf"], strict=True):
        word = word.strip()
        if word and float(conf) >= MIN_WORD_CONFIDENCE and any(c.isalnum() for c in word):
            words.append(word)
            confidences.append(float(conf))
    return words, (float(np.mean(confidences)) / 100 if confidences else 0.0)


def _clean(word: str) -> str:
    return word.strip(".,!?:;\"'()[]|{}<>-_=~*\u201c\u201d\u2018\u2019").lower()


def plausibility(words: list[str], confidence: float, dictionary) -> float:
    """Confidence times the share of words that are real words, times how many there are
    (up to four): two names read off a screenshot's header are not yet a reading."""
    real = [_clean(w) for w in words]
    real = [w for w in real if len(w) >= 2 and w.isalpha()]
    if not real:
        return 0.0
    known = sum(w in dictionary for w in real) / len(real)
    return confidence * known * min(1.0, len(real) / 4)


def read_text(image: Image.Image, *, dictionary, timeout: float = 10.0) -> Reading:
    """The most plausible reading of the text in ``image`` (may be empty)."""
    # One thread per Tesseract run: images already run in parallel in the job queue, and
    # OpenMP threads fighting over two cores made each reading slower, not faster.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    start = time.monotonic()
    image = _scaled(image)
    best = Reading("", 0.0, "none", 0.0)
    for tried, (name, variant) in enumerate(_variants(image)):
        left = timeout - (time.monotonic() - start)
        if left <= 0.5 or (tried == 2 and best.plausibility >= LAST_RESORT):
            break
        try:
            words, confidence = _words_and_confidence(variant, left, 11)
        except RuntimeError:  # pytesseract's time-out: keep the best reading so far
            break
        except OSError:  # no Tesseract here (`haven serve` warned at start): no text, and
            break  # the image is still judged by its hashes and the texts that came with it
        score = plausibility(words, confidence, dictionary)
        if score > best.plausibility or not best.text:
            best = Reading(" ".join(words), score, name, 0.0)
        if score >= GOOD_ENOUGH:
            break
    return Reading(best.text, best.plausibility, best.variant, time.monotonic() - start)


# -- perceptual hashes ---------------------------------------------------------------------
def _trim_border(image: Image.Image) -> Image.Image:
    """Cut away a uniform border (added around a re-shared image)."""
    gray = np.asarray(ImageOps.grayscale(image), dtype=np.int16)
    corner = int(np.median([gray[0, 0], gray[0, -1], gray[-1, 0], gray[-1, -1]]))
    content = np.abs(gray - corner) > 12
    rows, cols = np.flatnonzero(content.any(axis=1)), np.flatnonzero(content.any(axis=0))
    if len(rows) < image.height * 0.3 or len(cols) < image.width * 0.3:
        return image
    return image.crop((cols[0], rows[0], cols[-1] + 1, rows[-1] + 1))


def image_hashes(image: Image.Image) -> list[str]:
    """Perceptual hashes (pHash) of the image, with its border trimmed and of its centre,
    as hex strings: robust to re-encoding, resizing, small crops and borders."""
    import imagehash

    trimmed = _trim_border(image)
    w, h = trimmed.size
    centre = trimmed.crop((w // 10, h // 10, w - w // 10, h - h // 10))
    return [str(imagehash.phash(trimmed)), str(imagehash.phash(centre))]


def hash_distance(a: str, b: str) -> int:
    """Hamming distance of two hex hashes."""
    return bin(int(a, 16) ^ int(b, 16)).count("1")


SHORT_WORDS = frozenset(["i", "a", "u", "r", "y"])  # one-letter words that carry meaning in chat


def ocr_words(text: str) -> str:
    """An OCR reading without its noise: stray letters, digits and symbols (texture read as
    text) are dropped; what is left goes to the classifier."""
    return " ".join(w for w in text.split()
                    if sum(c.isalpha() for c in w) >= 2 or _clean(w) in SHORT_WORDS)


def classifiable_text(reading: Reading) -> str:
    """What of a reading goes to the classifier: the reading without stray characters.
    (Dropping low-plausibility readings altogether was tried: it lost real captions read
    only in part, such as a GIF's palette-reduced text, and is not done.)"""
    return ocr_words(reading.text)


def text_words(text: str, dictionary: set[str]) -> set[str]:
    """The real words (three letters or more) of an OCR reading: an image's text identity."""
    return {w for w in (_clean(word) for word in text.split())
            if len(w) >= 3 and w in dictionary}


def closest_match(hashes: list[str], words: set[str],
                  known: list[tuple[int, list[str], set[str]]]) -> tuple[int, int] | None:
    """(id, distance) of the known image this one is a copy of, or None.

    Two images are copies when their perceptual hashes are close (whole image, and centre,
    each against its own kind). A known image with text must also share most of its words
    with this one: two memes on the same photo with different captions are different images,
    and chat screenshots all look alike until you read them.
    """
    best = None
    for known_id, known_hashes, known_words in known:
        distance = min(hash_distance(a, b) for a, b in zip(hashes, known_hashes, strict=False))
        if len(known_words) >= 2:
            same = distance <= TEXT_HASH_DISTANCE and \
                len(known_words & words) / len(known_words) >= SHARED_WORDS
        else:
            same = distance <= HASH_DISTANCE
        if same and (best is None or distance < best[1]):
            best = (known_id, distance)
    return best


@dataclass(frozen=True)
class Fingerprint:
    """What Haven keeps of a known offensive image: hashes and words, never the pixels."""

    hashes: list[str]
    words: set[str]


def fingerprint(data: bytes, dictionary: set[str], timeout: float = 20.0) -> Fingerprint:
    """The fingerprint of an image file (ImageRejected for what is no image)."""
    image = decode(data)
    reading = read_text(image, dictionary=dictionary, timeout=timeout)
    return Fingerprint(image_hashes(image), text_words(reading.text, dictionary))


# -- judging an image -------------------------------------------------------------------------
IMAGE_SECONDS = 20.0  # per-image limit for reading its text


def dictionary_for(model) -> set[str]:
    """English and Dutch words (the model's vocabulary and lexicon): plausible OCR words."""
    from classifier.lexicon import CLASSES

    words = {w for w in model.pipeline["features"].vocabulary_ if w.isalpha()}
    return words | {w for members in CLASSES.values() for w in members}


def judge(data: bytes, *, model, dictionary: set[str],
          known: list[tuple[int, list[str], set[str]]], extra_texts=(),
          timeout: float = IMAGE_SECONDS) -> dict:
    """Read, match and classify one image (ImageRejected for what is no image).

    The text read in the image, and the message text, alt text and title that came with it,
    go through the same classifier; the highest score counts.
    """
    import hashlib

    image = decode(data)
    reading = read_text(image, dictionary=dictionary, timeout=timeout)
    match = closest_match(image_hashes(image), text_words(reading.text, dictionary), known)
    texts = [t for t in (classifiable_text(reading), *extra_texts) if t and t.strip()]
    best = max(model.classify(texts) if texts else [], key=lambda r: r.score, default=None)
    return {"score": round(best.score, 4) if best else 0.0,
            "flagged": bool(match) or bool(best and best.flagged),
            "categories": best.categories if best else {},
            "language": best.language if best else "en",
            "ocr_text": reading.text, "matched_known_image": match[0] if match else None,
            "image_sha256": hashlib.sha256(data).hexdigest(), "ocr_seconds":
            round(reading.seconds, 3)}
