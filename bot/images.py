"""Images: safe decoding, reading their text (Tesseract, English + Dutch), perceptual hashes.

OCR tries the reading that fits the image first — a meme's white or yellow capitals with a
black outline are isolated from the photo behind them; a screenshot is read as it is — and
keeps the most plausible reading: Tesseract's word confidences times the share of words
that are real English or Dutch words.
"""

from __future__ import annotations

import dataclasses
import io
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}
MAX_PIXELS = 40_000_000
MAX_SIDE = 30_000  # a long scrolling screenshot is some 20,000 px tall
MAX_ASPECT = 25  # long side over short side: beyond that it is a strip, not a picture
WORK_SIDE = 2048  # decoded images are scaled down to this long side: enough for OCR and hashes
OCR_LONG_SIDE = 1600  # larger images are scaled down first: text stays readable, OCR is faster
MIN_SHORT_SIDE = 600  # small images are scaled up: Tesseract wants text at least ~20 px high
LANGUAGES = "eng+nld"
GOOD_ENOUGH = 0.55  # a reading this plausible is kept without trying other variants
LAST_RESORT = 0.25  # below this before the last of three or more variants, it is tried
HASH_DISTANCE = 10  # bits (of 64) two hashes of a textless image may differ: one image
# (a copy turned by 2 degrees is up to 10 bits away; benchmarks/known_images.py finds no
# unrelated image closer than 16 bits to a known photo)
TEXT_HASH_DISTANCE = 12  # ... of an image with text, whose words must match as well (at
# 16, the same caption on another photo matched once a copy's bands were hashed as well)
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
        paletted = image.mode == "P"
        if image.mode not in ("RGB", "L"):  # a palette or 1-bit image resizes badly as is
            image = image.convert("RGB")
        if paletted:  # a GIF's dithering breaks letters into dots OCR misreads: smooth it
            image = image.filter(ImageFilter.MedianFilter(3))
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
    #: where each word was read: (word, left, top, right, bottom), as shares of the image's
    #: width and height once its border is trimmed (the frame its hashes are taken in)
    boxes: tuple[tuple[str, float, float, float, float], ...] = ()


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


STROKE_SHARE = 0.012  # half a caption letter's stroke, at most, as a share of the short side
MEME_SHARE = 0.004  # outlined text on more of the pixels than this: the image is a meme
BAR_MARGIN = 16  # px of white around a caption bar: Tesseract misreads text at the edge


def _mask(text: np.ndarray) -> Image.Image:
    return Image.fromarray(np.where(text, 0, 255).astype(np.uint8))


def _outlined(image: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    """Meme captions: (outlined text, light) pixels. Text is white or yellow pixels close to
    a black outline; bright areas of the photo are far from any outline and drop out (a
    screenshot has next to none)."""
    from scipy import ndimage

    rgb = np.asarray(image, dtype=np.int16)
    low, high = rgb.min(axis=2), rgb.max(axis=2)
    light = (low > 185) | ((rgb[..., 0] > 170) & (rgb[..., 1] > 170) & (rgb[..., 2] < 110))
    reach = max(5, int(min(image.size) * 0.012) | 1)
    return light & ndimage.maximum_filter(high < 80, size=reach), light


def filled_letters(text: np.ndarray, light: np.ndarray) -> np.ndarray:
    """Thick letters come out of :func:`_outlined` hollow (their middle is further
    from the outline than its reach): this fills what the rim of a letter encloses when it
    is light and no wider than a stroke. A bright object's rim encloses far more and stays
    hollow."""
    from scipy import ndimage

    holes = ndimage.binary_fill_holes(text) & ~text
    labels, count = ndimage.label(holes)
    if not count:
        return text
    index = np.arange(1, count + 1)
    half_width = ndimage.maximum(ndimage.distance_transform_edt(holes), labels, index)
    bright = ndimage.mean(light, labels, index)
    keep = (half_width <= STROKE_SHARE * min(text.shape)) & (bright >= 0.8)
    return text | (np.concatenate([[False], keep])[labels] & light)


def light_page(gray: np.ndarray) -> bool:
    """Whether most of the image is one light background (a light-mode screenshot, a page),
    where dark ink on white must not be taken for a meme's outlined captions."""
    histogram = np.bincount(gray[::4, ::4].ravel(), minlength=256)
    mode = int(np.argmax(histogram))
    return mode > 160 and histogram[max(0, mode - 6):mode + 7].sum() > 0.5 * histogram.sum()


def caption_bar_height(gray: np.ndarray) -> int:
    """Rows of the light caption bar above a photo (a "twitter meme"), or 0: the top rows
    are uniform and light, and the tallest band (the photo) starts below them."""
    top = gray[:max(2, gray.shape[0] // 50)]
    bands = row_bands(gray)
    tallest = max(bands, key=lambda band: band[1] - band[0], default=(0, 0))
    if top.mean() > 200 and top.std() < QUIET_ROW:
        return tallest[0]
    # a frame of the bar's colour, trimmed away, leaves the caption at the very top: the
    # rows above the photo are then light but for the letters
    above = gray[:tallest[0]]
    if len(above) >= 0.04 * len(gray) and np.median(above) > 200 \
            and (above > 200).mean() > 0.75:
        return tallest[0]
    return 0


#: A name, and its parts: each an image to read, its page mode and where it lies in the
#: image (the offset of its top left corner, in pixels)
Variant = tuple[str, list[tuple[Image.Image, int, tuple[int, int]]]]


def _variants(image: Image.Image) -> list[Variant]:
    """Preprocessed versions to try, the likeliest first: outlined captions for a meme,
    a caption meme's bar as a block (and outlined captions on its photo, if any),
    light-on-dark text inverted for a dark-mode screenshot, the plain image otherwise (a
    light page first as a page of lines).

    Tesseract's sparse-text mode (11) finds a meme's scattered captions but misses lines of
    text next to a photo: a page is read with automatic layout (3), a caption bar as a
    block (6).
    """
    gray = ImageOps.grayscale(image)
    pixels = np.asarray(gray)
    cut = otsu_threshold(pixels)
    outlined, light = _outlined(image)
    mask, share = _mask(outlined), float(outlined.mean())
    if light_page(pixels):
        return [("page", [(gray, 3, (0, 0))]), ("outline", [(mask, 11, (0, 0))]),
                ("binary", [(gray.point(lambda v: 0 if v < cut else 255), 11, (0, 0))])]
    bar = caption_bar_height(pixels)
    if bar:
        if share > MEME_SHARE:
            mask = _mask(filled_letters(outlined, light))
        below = mask.crop((0, bar, mask.width, mask.height))
        parts = [(ImageOps.expand(gray.crop((0, 0, gray.width, bar)), BAR_MARGIN, 255), 6,
                  (-BAR_MARGIN, -BAR_MARGIN))]
        if (np.asarray(below) == 0).mean() > MEME_SHARE:  # a meme with a caption bar added
            parts.append((below, 11, (0, bar)))
        return [("bar", parts), ("outline", [(mask, 11, (0, 0))]), ("gray", [(gray, 11, (0, 0))])]
    if share > MEME_SHARE:  # the letters hollow, then filled: each reads some memes better
        filled = _mask(filled_letters(outlined, light))
        return [("outline", [(mask, 11, (0, 0))]), ("filled", [(filled, 11, (0, 0))]),
                ("gray", [(gray, 11, (0, 0))]), ("inverted", [(ImageOps.invert(gray), 11, (0, 0))])]
    if pixels.mean() < 110:  # dark mode: light text, made black on white
        cut = max(cut, 128)  # text is far brighter than both background and bubbles
        return [("dark-binary", [(gray.point(lambda v: 0 if v > cut else 255), 11, (0, 0))]),
                ("inverted", [(ImageOps.invert(gray), 11, (0, 0))]),
                ("outline", [(mask, 11, (0, 0))])]
    return [("gray", [(gray, 11, (0, 0))]), ("outline", [(mask, 11, (0, 0))]),
            ("binary", [(gray.point(lambda v: 0 if v < cut else 255), 11, (0, 0))])]


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


Box = tuple[float, float, float, float]  # left, top, right, bottom


def _words_and_confidence(image: Image.Image, timeout: float, psm: int,
                          least: float = MIN_WORD_CONFIDENCE
                          ) -> tuple[list[str], float, list[Box]]:
    """Words Tesseract is at least ``least`` sure of (photo texture reads as low-confidence
    junk), their mean confidence (0-1) and their boxes (pixels)."""
    import pytesseract

    data = pytesseract.image_to_data(image, lang=LANGUAGES, config=f"--psm {psm}",
                                     timeout=timeout, output_type=pytesseract.Output.DICT)
    words, confidences, boxes = [], [], []
    for word, conf, left, top, width, height in zip(
            data["text"], data["conf"], data["left"], data["top"], data["width"],
            data["height"], strict=True):
        word = word.strip()
        if word and float(conf) >= least and any(c.isalnum() for c in word):
            words.append(word)
            confidences.append(float(conf))
            boxes.append((left, top, left + width, top + height))
    return words, (float(np.mean(confidences)) / 100 if confidences else 0.0), boxes


def _clean(word: str) -> str:
    return word.strip(".,!?:;\"'()[]|{}<>-_=~*\u201c\u201d\u2018\u2019").lower()


#: The two-letter words of English and Dutch chat. Others in the model's vocabulary (ee,
#: cd, se) are what photo texture reads as, and do not make a reading plausible.
TWO_LETTER_WORDS = frozenset({
    "am", "an", "as", "at", "be", "by", "do", "go", "he", "hi", "if", "in", "is", "it", "me",
    "my", "no", "of", "oh", "ok", "on", "or", "so", "to", "up", "us", "we", "ya", "yo", "al",
    "da", "de", "en", "er", "ga", "ik", "je", "ja", "na", "nu", "om", "op", "te", "tv", "wc",
    "ze", "zo"})


def plausibility(words: list[str], confidence: float, dictionary) -> float:
    """Confidence times the share of words that are real words, times how many there are
    (up to four): two names read off a screenshot's header are not yet a reading."""
    real = [_clean(w) for w in words]
    real = [w for w in real if len(w) >= 2 and w.isalpha()]
    if not real:
        return 0.0
    known = sum(w in dictionary and (len(w) > 2 or w in TWO_LETTER_WORDS)
                for w in real) / len(real)
    return confidence * known * min(1.0, len(real) / 4)


def read_text(image: Image.Image, *, dictionary, timeout: float = 10.0) -> Reading:
    """The most plausible reading of the text in ``image`` (may be empty)."""
    # One thread per Tesseract run: images already run in parallel in the job queue, and
    # OpenMP threads fighting over two cores made each reading slower, not faster.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    start = time.monotonic()
    image = _scaled(_trim_border(image))  # a frame around a re-shared image hides its layout
    best = Reading("", 0.0, "none", 0.0)
    variants = _variants(image)
    width, height = image.size
    for tried, (name, parts) in enumerate(variants):
        left = timeout - (time.monotonic() - start)
        last = tried >= 2 and tried == len(variants) - 1  # the last variant: a last resort
        if left <= 0.5 or (last and best.plausibility >= LAST_RESORT):
            break
        try:
            words, confidence, boxes = _read_parts(parts, timeout - (time.monotonic() - start))
        except RuntimeError:  # pytesseract's time-out: keep the best reading so far
            break
        except OSError:  # no Tesseract here (`haven serve` warned at start): no text, and
            break  # the image is still judged by its hashes and the texts that came with it
        score = plausibility(words, confidence, dictionary)
        if score > best.plausibility or not best.text:
            best = Reading(" ".join(words), score, name, 0.0, tuple(
                (_clean(word), left / width, top / height, right / width, bottom / height)
                for word, (left, top, right, bottom) in zip(words, boxes, strict=True)))
        if score >= GOOD_ENOUGH:
            break
    return dataclasses.replace(best, seconds=time.monotonic() - start)


def _read_parts(parts: list[tuple[Image.Image, int, tuple[int, int]]], timeout: float,
                least: float = MIN_WORD_CONFIDENCE) -> tuple[list[str], float, list[Box]]:
    """The words of every part in turn, their mean confidence (weighted by words) and their
    boxes in the whole image (pixels)."""
    words, weighted, boxes, deadline = [], 0.0, [], time.monotonic() + timeout
    for part, psm, (dx, dy) in parts:
        left = deadline - time.monotonic()
        if left <= 0.5 and words:
            break
        found, confidence, where = _words_and_confidence(part, max(0.5, left), psm, least)
        words += found
        weighted += confidence * len(found)
        boxes += [(x0 + dx, y0 + dy, x1 + dx, y1 + dy) for x0, y0, x1, y1 in where]
    return words, weighted / len(words) if words else 0.0, boxes


# -- perceptual hashes ---------------------------------------------------------------------
# A re-shared copy is rarely the same picture: it is cropped, framed, captioned or shown in
# a screenshot. Both sides therefore hash several regions, and a copy matches when any of
# its regions is close to any region of the known image. The known image stores crops of
# itself (a copy that lost up to ~15 % of a side still finds one of them); the image being
# judged adds the regions left when bands of text or app chrome above or below the picture
# are cut away (a caption bar, a screenshot's header and reply bar).
HASH_SIDE = 512  # regions are cut from a copy at most this large: pHash needs only 32 x 32
KNOWN_CROPS = (  # (left, top, right, bottom): the share of each side cut away
    (0, 0, 0, 0), (.05, .05, .05, .05), (.1, .1, .1, .1), (.15, .15, .15, .15),
    (.16, 0, 0, 0), (0, .16, 0, 0), (0, 0, .16, 0), (0, 0, 0, .16))
TURNS = (-2, 2)  # degrees: the whole image is also hashed turned back by these
MIN_BAND_SHARE = 0.15  # a region of bands lower than this share of the image is not hashed
MAX_BANDS = 8  # a chat screenshot's many lines are merged into at most this many bands
QUIET_ROW = 4.0  # grey-level standard deviation below which a row is a uniform gap


def _border_box(image: Image.Image) -> tuple[int, int, int, int]:
    """The box (pixels) of ``image`` inside a uniform border (added around a re-shared
    image); the whole image when there is none."""
    gray = np.asarray(ImageOps.grayscale(image), dtype=np.int16)
    corner = int(np.median([gray[0, 0], gray[0, -1], gray[-1, 0], gray[-1, -1]]))
    content = np.abs(gray - corner) > 12
    rows, cols = np.flatnonzero(content.any(axis=1)), np.flatnonzero(content.any(axis=0))
    if len(rows) < image.height * 0.3 or len(cols) < image.width * 0.3:
        return (0, 0, image.width, image.height)
    return (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)


def _trim_border(image: Image.Image) -> Image.Image:
    """Cut away a uniform border (added around a re-shared image)."""
    box = _border_box(image)
    return image if box == (0, 0, image.width, image.height) else image.crop(box)


def _hashable(image: Image.Image) -> Image.Image:
    image = _trim_border(image)
    if max(image.size) > HASH_SIDE:
        image = image.copy()
        image.thumbnail((HASH_SIDE, HASH_SIDE), Image.Resampling.BILINEAR)
    return image


def _cropped(image: Image.Image, left: float, top: float, right: float,
             bottom: float) -> Image.Image:
    w, h = image.size
    return image.crop((round(w * left), round(h * top), round(w * (1 - right)),
                       round(h * (1 - bottom))))


def _phash(image: Image.Image) -> str:
    import imagehash

    return str(imagehash.phash(image))


def known_image_hashes(image: Image.Image) -> list[str]:
    """pHashes (hex) of an image being registered as known: of the whole with its border
    trimmed and of crops of it (5, 10 and 15 % of every side; 16 % of one side): eight
    hashes, 135 characters as stored (the column holds 200)."""
    image = _hashable(image)
    return [_phash(_cropped(image, *crop)) for crop in KNOWN_CROPS]


def row_bands(gray: np.ndarray) -> list[tuple[int, int]]:
    """(first, last + 1) rows of the bands of an image: runs of rows with content,
    separated by uniform rows (at least 1 % of the height); at most MAX_BANDS of them."""
    height = gray.shape[0]
    busy = gray.std(axis=1) >= QUIET_ROW
    gap = max(2, height // 100)
    bands: list[list[int]] = []
    row = 0
    while row < height:
        if not busy[row]:
            row += 1
            continue
        first, quiet = row, 0
        while row < height and quiet < gap:
            quiet = 0 if busy[row] else quiet + 1
            row += 1
        bands.append([first, row - quiet])
    while len(bands) > MAX_BANDS:  # merge the two bands closest to each other
        k = int(np.argmin([bands[i + 1][0] - bands[i][1] for i in range(len(bands) - 1)]))
        bands[k][1] = bands[k + 1][1]
        del bands[k + 1]
    return [(first, last) for first, last in bands]


def image_regions(image: Image.Image) -> list[tuple[str, Box]]:
    """pHashes (hex) of an image being judged, each with the region it was taken of (shares
    of the image once its border is trimmed): of the whole, and of every run of its bands
    (see row_bands) at least MIN_BAND_SHARE high, each trimmed again; each region also by
    its centre (10 % cut from every side); and the centre of the whole turned by TURNS."""
    image = _hashable(image)
    width, height = image.size
    bands = row_bands(np.asarray(ImageOps.grayscale(image), dtype=np.float32))
    boxes: list[Box] = [(0.0, 0.0, 1.0, 1.0)]
    for a, (top, _) in enumerate(bands):
        for b in range(a, len(bands)):
            bottom = bands[b][1]
            whole = a == 0 and b == len(bands) - 1 and top == 0 and bottom == height
            if not whole and bottom - top >= height * MIN_BAND_SHARE:
                x0, y0, x1, y1 = _border_box(image.crop((0, top, width, bottom)))
                boxes.append((x0 / width, (top + y0) / height, x1 / width, (top + y1) / height))
    found: dict[str, Box] = {}
    for box in boxes:
        region = image.crop((round(box[0] * width), round(box[1] * height),
                             round(box[2] * width), round(box[3] * height)))
        found.setdefault(_phash(region), box)
        found.setdefault(_phash(_cropped(region, .1, .1, .1, .1)), _inner(box, CENTRE))
    for angle in TURNS:  # a copy turned a little (a photo of a screen) is turned back
        turned = image.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor="white")
        found.setdefault(_phash(_cropped(turned, *CENTRE)), _inner(boxes[0], CENTRE))
    return list(found.items())


CENTRE = (.1, .1, .1, .1)


def _inner(box: Box, cut: tuple[float, float, float, float]) -> Box:
    """What is left of ``box`` when ``cut`` (shares of each side: left, top, right, bottom)
    is cut away."""
    x0, y0, x1, y1 = box
    left, top, right, bottom = cut
    return (x0 + left * (x1 - x0), y0 + top * (y1 - y0), x1 - right * (x1 - x0),
            y1 - bottom * (y1 - y0))


def image_hashes(image: Image.Image) -> list[str]:
    """pHashes (hex) of an image being judged (see :func:`image_regions`)."""
    return [h for h, _ in image_regions(image)]


def hash_distance(a: str, b: str) -> int:
    """Hamming distance of two hex hashes."""
    return bin(int(a, 16) ^ int(b, 16)).count("1")


_BITS = np.array([bin(byte).count("1") for byte in range(256)], dtype=np.uint8)


def _closest_pairs(hashes: list[str], known: list[list[str]]) -> list[tuple[int, int, int]]:
    """For each known image, the least Hamming distance between any of ``hashes`` and any
    of its own hashes, with the index of each of the two: (distance, mine, its own);
    (64, -1, -1) where it has none."""
    owners = [i for i, own in enumerate(known) for _ in own]
    if not hashes or not owners:
        return [(64, -1, -1)] * len(known)
    mine = np.array([int(h, 16) for h in hashes], dtype=np.uint64)
    theirs = np.array([int(h, 16) for own in known for h in own], dtype=np.uint64)
    differ = (mine[:, None] ^ theirs[None, :]).view(np.uint8)  # 8 bytes per pair
    pairs = _BITS[differ].reshape(len(mine), len(theirs), 8).sum(axis=2)
    best_mine = pairs.argmin(axis=0)
    least = [(64, -1, -1)] * len(known)
    first = [0] * len(known)
    for column, owner in enumerate(owners):
        if column and owners[column - 1] != owner:
            first[owner] = column
        distance = int(pairs[best_mine[column], column])
        if column == 0 or owners[column - 1] != owner or distance < least[owner][0]:
            least[owner] = (distance, int(best_mine[column]), column - first[owner])
    return least


def _distances(hashes: list[str], known: list[list[str]]) -> list[int]:
    """For each known image, the least Hamming distance between any of ``hashes`` and any
    of its own hashes (64 where it has none)."""
    return [distance for distance, _, _ in _closest_pairs(hashes, known)]


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


Layout = list[tuple[str, Box]]  # where a known image's words are (see Reading.boxes)
#: A known image as matching wants it: (id, hashes, words) or (id, hashes, words, layout)
Known = tuple


def closest_match(hashes: list[str], words: set[str], known: list[Known], *,
                  regions: list[Box] | None = None,
                  boxes: Callable[[], list[list[Box]]] | None = None,
                  readable: bool = False) -> tuple[int, int] | None:
    """(id, distance) of the known image this one is a copy of, or None.

    Two images are copies when a region of one has a perceptual hash close to a region of
    the other (``image_hashes`` against ``known_image_hashes``; rows registered before
    there were crops hold the whole and the centre, and match the same way). A known image
    with text must also share half of its words (and at least two) with this one: two memes
    on the same photo with different captions are different images, and chat screenshots
    all look alike until you read them.

    A copy cropped through its caption cannot be read, and cannot be told by its hashes from
    the bare photo or the photo with another caption. Where nothing readable in it says
    otherwise, its words are looked for where the known image has them (``regions``: the
    box each of ``hashes`` was taken of; ``boxes``: called at most once, the boxes of
    whatever Tesseract takes for words in it, however unsure, in each variant of the image
    it reads): see :func:`layout_share`. A copy whose own text was read plausibly
    (``readable``) is another caption unless every word read is one of the known image's.
    """
    best, best_key = None, None
    pairs = _closest_pairs(hashes, [entry[1] for entry in known])
    looked: list[list[list[Box]]] = []
    for entry, (distance, mine, theirs) in zip(known, pairs, strict=True):
        known_id, known_hashes, known_words = entry[:3]
        layout = entry[3] if len(entry) > 3 else []
        share = 1.0  # how much of the known image's text this one has (all, without text)
        if len(known_words) >= 2:
            shared = len(known_words & words)
            share = shared / len(known_words)
            same = distance <= TEXT_HASH_DISTANCE and shared >= 2 and share >= SHARED_WORDS
            foreign = words - known_words - {word for word, _ in layout}
            if not same and distance <= TEXT_HASH_DISTANCE and layout and regions \
                    and boxes is not None and len(foreign) < 2 \
                    and not (readable and foreign) and len(known_hashes) == len(KNOWN_CROPS):
                if not looked:
                    found = boxes()  # each variant's boxes, and all of them together
                    looked.append([*found, [box for some in found for box in some]])
                share = max(layout_share(layout, some, regions[mine], KNOWN_CROPS[theirs],
                                         known_words) for some in looked[0])
                same = share > 0
        else:
            same = distance <= HASH_DISTANCE
        # two chat screenshots differ in their words more than in their hashes: the known
        # image whose text this one has most of wins, then the closest
        if same and (best_key is None or (share, -distance) > best_key):
            best, best_key = (known_id, distance), (share, -distance)
    return best


LAYOUT_SHARE = 0.6  # of a known image's words left in a copy, at least this share is found


def same_layout(layout: Layout, boxes: list[Box], region: Box,
                crop: tuple[float, float, float, float], counted: set[str] | None = None
                ) -> bool:
    """Whether a copy has words where a known image has its own (see layout_share)."""
    return layout_share(layout, boxes, region, crop, counted) > 0


def layout_share(layout: Layout, boxes: list[Box], region: Box,
                 crop: tuple[float, float, float, float], counted: set[str] | None = None
                 ) -> float:
    """The share of a known image's words that a copy has where the known image has them,
    or 0 when too few are found to call it the same text: ``region`` of the copy is
    ``crop`` of the known image (their hashes matched), which places each known word in the
    copy. A word the copy keeps (most of its width, a quarter of its height) is found when
    ``boxes`` in its rows cover half its width and little of the gaps beside it (Tesseract
    boxes letters cut through one by one, so it is coverage, not one box, that counts).
    Bare photos have nothing there; another caption has its gaps elsewhere. Only the words
    in ``counted`` (all, if None: the known image's words read alike in two copies) are
    counted; the others stand in the layout for the gaps beside them."""
    x0, y0, x1, y1 = region
    left, top, right, bottom = crop

    def place(box: Box) -> Box:
        a, b, c, d = box
        u = (x1 - x0) / (1 - left - right)
        v = (y1 - y0) / (1 - top - bottom)
        return (x0 + (a - left) * u, y0 + (b - top) * v, x0 + (c - left) * u,
                y0 + (d - top) * v)

    placed = [place(box) for _, box in layout]
    kept = found = 0
    for (word, _), (a, b, c, d) in zip(layout, placed, strict=True):
        if counted is not None and word not in counted:
            continue
        seen_b, seen_d = max(b, 0.0), min(d, 1.0)
        if min(c, 1.0) - max(a, 0.0) < 0.6 * (c - a) or seen_d - seen_b < 0.25 * (d - b):
            continue
        kept += 1
        rows = [(ba, bc) for ba, bb, bc, bd in boxes
                if min(bd, seen_d) - max(bb, seen_b) > 0.3 * (seen_d - seen_b)]
        line = sorted((pa, pc) for pa, pb, pc, pd in placed
                      if min(pd, d) - max(pb, b) > 0.5 * (d - b) and (pa, pc) != (a, c))
        gaps = [(pc, a) for pa, pc in line if pc <= a][-1:] + \
            [(c, pa) for pa, pc in line if pa >= c][:1]
        found += _covered(rows, a, c) >= 0.5 and all(
            _covered(rows, g0 + 0.2 * (g1 - g0), g1 - 0.2 * (g1 - g0)) <= 0.34
            for g0, g1 in gaps if g1 > g0)
    return found / kept if found >= 2 and found >= LAYOUT_SHARE * kept else 0.0


def _covered(spans: list[tuple[float, float]], start: float, end: float) -> float:
    """The share of [start, end] that ``spans`` cover."""
    if end <= start:
        return 0.0
    covered, reach = 0.0, start
    for a, c in sorted((max(a, start), min(c, end)) for a, c in spans if a < end and c > start):
        if c > reach:
            covered += c - max(a, reach)
            reach = c
    return covered / (end - start)


def text_boxes(image: Image.Image, timeout: float = 5.0) -> list[list[Box]]:
    """The boxes (shares of the image once its border is trimmed) of whatever Tesseract
    takes for a word in each of the image's variants, however unsure: a caption cut through
    cannot be read, but its words still stand where they stood. (One variant may run two
    words into one box, another box a cut word letter by letter.)"""
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    frame = _scaled(_trim_border(image))
    width, height = frame.size
    found: list[list[Box]] = []
    deadline = time.monotonic() + timeout
    for _, parts in _variants(frame):
        left = deadline - time.monotonic()
        if left <= 0.5:
            break
        try:
            _, _, boxes = _read_parts(parts, left, least=0)
        except (RuntimeError, OSError):  # a time-out, or no Tesseract here
            break
        found.append([(a / width, b / height, c / width, d / height)
                      for a, b, c, d in boxes])
    return found


def match_known(image: Image.Image, reading: Reading, dictionary: set[str],
                known: list[Known]) -> tuple[int, int] | None:
    """(id, distance) of the known image ``image`` is a copy of, given its ``reading``: its
    hashes, words and, only if those do not decide, where Tesseract sees words in it."""
    regions = image_regions(image)
    return closest_match([h for h, _ in regions], text_words(reading.text, dictionary), known,
                         regions=[box for _, box in regions], boxes=lambda: text_boxes(image),
                         readable=reading.plausibility >= GOOD_ENOUGH)


def encode_layout(layout: Layout) -> str:
    """A layout as stored: "word left top right bottom" (thousandths) per word, ";" between."""
    return ";".join(f"{word} " + " ".join(str(round(v * 1000)) for v in box)
                    for word, box in layout)


def decode_layout(text: str) -> Layout:
    """The layout :func:`encode_layout` stored (empty for rows from before there was one)."""
    layout = []
    for item in filter(None, (text or "").split(";")):
        word, *numbers = item.split()
        if len(numbers) == 4:
            a, b, c, d = (int(n) / 1000 for n in numbers)
            layout.append((word, (a, b, c, d)))
    return layout


@dataclass(frozen=True)
class Fingerprint:
    """What Haven keeps of a known offensive image: hashes, words and where the words
    stand (their boxes), never the pixels."""

    hashes: list[str]
    words: set[str]
    layout: Layout = dataclasses.field(default_factory=list)


MAX_LAYOUT_WORDS = 40  # a screenshot's words beyond these are not placed (the column's size)


def fingerprint(data: bytes, dictionary: set[str], timeout: float = 20.0) -> Fingerprint:
    """The fingerprint of an image file (ImageRejected for what is no image).

    Its words are those read both in the image and in a re-encoded, slightly smaller copy
    of it: words Tesseract makes up from a photo's texture change from one copy to the
    next, and a photo registered with them would be recognised only when the same noise
    is read again. A plausible reading is kept whole even when its copy reads less: an
    image with text must never become a bare picture that any caption on it would match.
    """
    image = decode(data)
    reading = read_text(image, dictionary=dictionary, timeout=timeout / 2)
    words = text_words(reading.text, dictionary)
    if words:
        buffer = io.BytesIO()
        image.resize((image.width * 9 // 10, image.height * 9 // 10)).save(buffer, "JPEG",
                                                                           quality=75)
        again = read_text(decode(buffer.getvalue()), dictionary=dictionary,
                          timeout=timeout / 2)
        stable = words & text_words(again.text, dictionary)
        if len(stable) >= max(2, len(words) / 2) or reading.plausibility < GOOD_ENOUGH:
            words = stable
    # every real word read stands in the layout, not only the words kept: the gaps between
    # them are what tells one caption from another of the same length
    layout = [(word, tuple(round(v, 3) for v in box)) for word, *box in reading.boxes
              if word in words or (word.isalpha() and word in dictionary
                                   and (len(word) > 2 or word in TWO_LETTER_WORDS))
              ][:MAX_LAYOUT_WORDS]
    return Fingerprint(known_image_hashes(image), words, layout)


# -- judging an image -------------------------------------------------------------------------
IMAGE_SECONDS = 20.0  # per-image limit for reading its text


def dictionary_for(model) -> set[str]:
    """English and Dutch words (the model's vocabulary and lexicon): plausible OCR words."""
    from classifier.lexicon import CLASSES

    words = {w for w in model.pipeline["features"].vocabulary_ if w.isalpha()}
    return words | {w for members in CLASSES.values() for w in members}


def judge(data: bytes, *, model, dictionary: set[str],
          known: list[Known], extra_texts=(),
          timeout: float = IMAGE_SECONDS) -> dict:
    """Read, match and classify one image (ImageRejected for what is no image).

    The text read in the image, and the message text, alt text and title that came with it,
    go through the same classifier; the highest score counts.
    """
    import hashlib

    image = decode(data)
    reading = read_text(image, dictionary=dictionary, timeout=timeout)
    match = match_known(image, reading, dictionary, known)
    read = classifiable_text(reading)
    # The words read in the image are judged at the images' operating point; the message,
    # alt text and title that came with it are the sender's own words, judged as messages.
    results = model.classify([read], read_in_image=True) if read.strip() else []
    said = [t for t in extra_texts if t and t.strip()]
    results += model.classify(said) if said else []
    best = max(results, key=lambda r: r.score, default=None)
    return {"score": round(best.score, 4) if best else 0.0,
            "flagged": bool(match) or bool(best and best.flagged),
            "categories": best.categories if best else {},
            "language": best.language if best else "en",
            "ocr_text": reading.text, "matched_known_image": match[0] if match else None,
            "image_sha256": hashlib.sha256(data).hexdigest(), "ocr_seconds":
            round(reading.seconds, 3)}
