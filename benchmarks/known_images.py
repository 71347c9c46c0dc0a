"""Known offensive images: are re-shared copies recognised, and is nothing else?

Registers N images (memes, caption memes, chat screenshots, plain photos; made with
tests/imagegen.py from scikit-image's sample photos), then tries every copy in
tests.imagegen.TRANSFORMS (re-encoded, resized, cropped, bordered, a caption bar added,
rotated, a screenshot of it) and a varied benign set (other crops of the same photos, the
same meme photo with another caption, the same caption on another photo, screenshots,
gradients, faces, the bare photo of a registered meme, and another caption on a registered
photo cropped through like a copy). The previous method (pHash of the whole and of the
centre) and the current one run side by side on the same OCR readings. One core.

Run: ``python benchmarks/known_images.py [--images N] [--benign N]``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ["OMP_THREAD_LIMIT"] = "1"  # Tesseract's own threads

import argparse  # noqa: E402
import io  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.images import (  # noqa: E402
    _trim_border,
    decode,
    dictionary_for,
    fingerprint,
    hash_distance,
    match_known,
    read_text,
    text_words,
)
from classifier import load_model  # noqa: E402
from tests.imagegen import (  # noqa: E402
    BENIGN,
    HARASSING,
    PHOTOS,
    TRANSFORMS,
    caption_bar,
    chat_screenshot,
    meme,
    photo,
    transformed,
)

EXTRA_PHOTOS = ["clock", "horse", "colorwheel", "cell", "page", "text",
                "shepp_logan_phantom", "gravel", "logo"]


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "PNG")
    return buffer.getvalue()


@dataclass
class Known:
    """A registered image: its kind, pixels, caption (if any) and background photo."""

    kind: str
    image: Image.Image
    text: str
    background: str


def registered(n: int) -> list[Known]:
    """``n`` offensive images of four kinds, each different. Plain photos
    are the even entries of PHOTOS; memes and caption memes are on the odd ones."""
    rng = random.Random(7)
    texts = HARASSING["en"] + HARASSING["nl"]
    out = []
    for i in range(n):
        kind = ("meme", "photo", "caption", "screenshot")[i % 4]
        text = texts[(i - i // 4) % len(texts)]  # three text images in four
        background = PHOTOS[(2 * (i // 4) + (kind != "photo")) % len(PHOTOS)]
        size = rng.choice([(900, 600), (800, 800), (1280, 720), (640, 480)])
        if kind == "meme":
            words = text.split()
            image = meme(" ".join(words[:len(words) // 2]), " ".join(words[len(words) // 2:]),
                         background=background, size=size)
        elif kind == "photo":
            image = photo(background, size)
        elif kind == "caption":
            image = caption_bar(text, background=background, size=size)
        else:
            image = chat_screenshot([("Mark", text), ("Tom", rng.choice(["lol", "true"]))],
                                    dark=i % 8 == 3, size=rng.choice([(750, 1334),
                                                                      (1080, 1920)]))
        out.append(Known(kind, image, "" if kind == "photo" else text, background))
    return out


def gradient(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    w, h = size
    y, x = np.mgrid[0:h, 0:w] / max(w, h)
    a, b = np.array([rng.randrange(256) for _ in range(3)]), \
        np.array([rng.randrange(256) for _ in range(3)])
    if rng.random() < 0.5:
        angle = rng.uniform(0, np.pi)
        t = (np.cos(angle) * x + np.sin(angle) * y)
    else:
        t = np.hypot(x - rng.random(), y - rng.random())
    t = (t - t.min()) / max(np.ptp(t), 1e-9)
    pixels = a + (b - a) * t[..., None]
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def benign(n: int, known: list[Known]) -> list[tuple[str, bytes]]:
    """``n`` images that are none of the registered ones: (kind, file bytes)."""
    import skimage.data

    rng = random.Random(11)
    texts = BENIGN["en"] + BENIGN["nl"]
    faces = skimage.data.lfw_subset()
    photos = PHOTOS + EXTRA_PHOTOS
    memes = [k for k in known if k.kind == "meme"]
    captioned = [k for k in known if k.kind in ("meme", "caption")]
    out = []
    for j in range(n):
        kind = ("other crop", "same photo, other caption", "same caption, other photo",
                "screenshot", "caption meme", "gradient", "face", "photo", "bare meme photo",
                "other caption, cut through")[j % 10]
        size = rng.choice([(900, 600), (800, 800), (1280, 720), (640, 480)])
        if kind == "other crop":  # at most half of each side of a photo, some registered
            base = photo(rng.choice(photos), (1200, 1200))
            cw, ch = rng.randint(300, 600), rng.randint(300, 600)
            x, y = rng.randint(0, 1200 - cw), rng.randint(0, 1200 - ch)
            image = base.crop((x, y, x + cw, y + ch))
        elif kind == "same photo, other caption":
            original = memes[j // 8 % len(memes)]
            image = meme(rng.choice(texts), background=original.background,
                         size=original.image.size)
        elif kind == "same caption, other photo":
            original = memes[j // 8 % len(memes)]
            words = original.text.split()
            image = meme(" ".join(words[:len(words) // 2]), " ".join(words[len(words) // 2:]),
                         background=rng.choice([p for p in PHOTOS[1::2] + EXTRA_PHOTOS
                                                if p != original.background]),
                         size=original.image.size)
        elif kind == "screenshot":
            image = chat_screenshot([(rng.choice(["Tom", "Mark", "Eva"]), rng.choice(texts)),
                                     ("Sanne", rng.choice(["ok", "haha", "nice"]))],
                                    dark=rng.random() < 0.3,
                                    size=rng.choice([(750, 1334), (1080, 1920)]))
        elif kind == "caption meme":
            # not on a registered photo: that would be a copy with a caption bar added
            image = caption_bar(rng.choice(texts), background=rng.choice(PHOTOS[1::2]
                                                                        + EXTRA_PHOTOS),
                                size=size)
        elif kind == "bare meme photo":  # the photo of a registered meme, without its caption
            original = memes[j // 10 % len(memes)]
            image = photo(original.background, original.image.size)
        elif kind == "other caption, cut through":  # as a cropped copy, but not the caption
            original = captioned[j // 10 % len(captioned)]
            text = rng.choice(texts)
            if original.kind == "meme":
                words = text.split()
                image = meme(" ".join(words[:len(words) // 2]),
                             " ".join(words[len(words) // 2:]),
                             background=original.background, size=original.image.size)
            else:
                image = caption_bar(text, background=original.background,
                                    size=original.image.size)
            image = decode(transformed(image, rng.choice(["crop-5", "crop-10"]), rng))
        elif kind == "gradient":
            image = gradient(rng, size)
        elif kind == "face":
            image = Image.fromarray((faces[j % len(faces)] * 255).astype(np.uint8)) \
                .convert("RGB").resize((400, 400), Image.Resampling.BICUBIC)
        else:
            image = photo(rng.choice(EXTRA_PHOTOS), size)
            draw = ImageDraw.Draw(image)
            if rng.random() < 0.5:
                draw.rectangle((0, 0, size[0], size[1] // 10), fill="white")
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=rng.randint(60, 90))
        out.append((kind, buffer.getvalue()))
    return out


def copies(known: list[Known], transforms: list[str], seed: int = 3
           ) -> list[tuple[int, str, bytes]]:
    """(registered index, transform, file bytes) for every image and transform."""
    rng = random.Random(seed)
    return [(i, how, transformed(k.image, how, rng))
            for i, k in enumerate(known) for how in transforms]


# -- the method before: pHash of the trimmed image and of its centre, each against its kind --
BEFORE_HASH_DISTANCE = 8  # its threshold for an image without text
BEFORE_TEXT_HASH_DISTANCE = 16  # ... and for one with text, whose words matched as well
BEFORE_SHARED_WORDS = 0.5
def before_hashes(image: Image.Image) -> list[str]:
    """Haven's hashes before crop-resistance (for registering and judging alike)."""
    import imagehash

    trimmed = _trim_border(image)
    w, h = trimmed.size
    centre = trimmed.crop((w // 10, h // 10, w - w // 10, h - h // 10))
    return [str(imagehash.phash(trimmed)), str(imagehash.phash(centre))]


def before_match(hashes: list[str], words: set[str], known) -> tuple[int, int] | None:
    """Haven's matching before crop-resistance: whole against whole, centre against centre."""
    best = None
    for known_id, known_hashes, known_words in known:
        distance = min(hash_distance(a, b) for a, b in zip(hashes, known_hashes, strict=False))
        if len(known_words) >= 2:
            same = distance <= BEFORE_TEXT_HASH_DISTANCE and \
                len(known_words & words) / len(known_words) >= BEFORE_SHARED_WORDS
        else:
            same = distance <= BEFORE_HASH_DISTANCE
        if same and (best is None or distance < best[1]):
            best = (known_id, distance)
    return best


def before_register(data: bytes, dictionary: set[str]) -> tuple[list[str], set[str]]:
    """What Haven kept of a known image before: two hashes and the words of one reading."""
    image = decode(data)
    return before_hashes(image), text_words(read_text(image, dictionary=dictionary).text,
                                            dictionary)


def after_register(data: bytes, dictionary: set[str]) -> tuple:
    """What Haven keeps now (bot.images.fingerprint): hashes, words and their layout."""
    print_ = fingerprint(data, dictionary)
    return print_.hashes, print_.words, print_.layout


METHODS = {"before": (before_register,
                      lambda image, reading, dictionary, known: before_match(
                          before_hashes(image), text_words(reading.text, dictionary), known)),
           "after": (after_register, match_known)}


def text_cut_away(layout, how: str) -> bool:
    """Whether a crop leaves none of a known image's words (not even a quarter of a word's
    height or half its width): its caption is gone, not merely cut through."""
    if not layout or not how.startswith("crop-") or how.startswith("crop-side-"):
        return False
    cut = int(how.split("-")[1]) / 100
    for _, (a, b, c, d) in layout:
        if min(d, 1 - cut) - max(b, cut) >= 0.25 * (d - b) and \
                min(c, 1 - cut) - max(a, cut) >= 0.5 * (c - a):
            return False
    return True


def judged(data: bytes, dictionary: set[str], known_by: dict) -> dict:
    """OCR once, then each method's hashes and match; the seconds each step took."""
    start = time.perf_counter()
    image = decode(data)
    reading = read_text(image, dictionary=dictionary)
    out = {"ocr": time.perf_counter() - start}
    for name, (_, match) in METHODS.items():
        start = time.perf_counter()
        found = match(image, reading, dictionary, known_by[name])
        out[name] = found[0] if found else None
        out[f"{name} seconds"] = time.perf_counter() - start
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=24, help="registered images")
    parser.add_argument("--benign", type=int, default=240, help="benign images")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    dictionary = dictionary_for(load_model())
    known = registered(args.images)
    known_by, register_seconds = {}, {}
    for name, (register, _) in METHODS.items():
        rows, start = [], time.perf_counter()
        for i, entry in enumerate(known):
            rows.append((i, *register(png(entry.image), dictionary)))
        known_by[name] = rows
        register_seconds[name] = (time.perf_counter() - start) / len(known)
    tried = [(i, how, judged(data, dictionary, known_by))
             for i, how, data in copies(known, TRANSFORMS)]
    others = [(kind, judged(data, dictionary, known_by))
              for kind, data in benign(args.benign, known)]
    print(f"{len(known)} registered images (memes, caption memes, chat screenshots, photos), "
          f"{len(tried)} copies, {len(others)} benign images; one core\n")
    names = list(METHODS)
    print(f"{'recognised':32}" + "".join(f"{n:>10}" for n in names))
    for how in TRANSFORMS:
        rows = [r for _, h, r in tried if h == how]
        print(f"{how:32}" + "".join(
            f"{sum(r[n] == i for i, h, r in tried if h == how) / len(rows):>10.0%}"
            for n in names))
    print(f"{'all copies':32}" + "".join(
        f"{sum(r[n] == i for i, _, r in tried) / len(tried):>10.1%}" for n in names))
    for kind in dict.fromkeys(k.kind for k in known):
        mine = [(i, r) for i, _, r in tried if known[i].kind == kind]
        print(f"{'  of ' + kind + 's':32}" + "".join(
            f"{sum(r[n] == i for i, r in mine) / len(mine):>10.1%}" for n in names))
    wrong = {n: sum(r[n] is not None and r[n] != i for i, _, r in tried) for n in names}
    print(f"{'copy taken for another':32}" + "".join(f"{wrong[n]:>10}" for n in names))
    # a crop that takes a text image's every word with it leaves the bare photo: nothing
    # says it was the offensive image, and a bare photo must not match
    layouts = {i: layout for i, _, _, layout in known_by["after"]}
    gone = [(i, r) for i, how, r in tried if known[i].text and text_cut_away(layouts[i], how)]
    print(f"{'copies with their text cut away':32}{len(gone):>10}")
    print(f"{'  all other copies':32}" + "".join(
        f"{sum(r[n] == i for i, h, r in tried if not (known[i].text and text_cut_away(layouts[i], h))) / (len(tried) - len(gone)):>10.1%}"  # noqa: E501
        for n in names))
    print(f"\n{'false matches':32}" + "".join(f"{n:>10}" for n in names))
    for kind in dict.fromkeys(k for k, _ in others):
        rows = [r for k, r in others if k == kind]
        print(f"{kind + f' ({len(rows)})':32}" + "".join(
            f"{sum(r[n] is not None for r in rows):>10}" for n in names))
    print(f"{'all benign':32}" + "".join(
        f"{sum(r[n] is not None for _, r in others):>10}" for n in names))
    every = [r for _, _, r in tried] + [r for _, r in others]
    print(f"\n{'seconds per image':32}" + "".join(f"{n:>10}" for n in names))
    print(f"{'register (OCR, hashes)':32}" + "".join(f"{register_seconds[n]:>10.3f}"
                                                 for n in names))
    for label, pick in (("hash + match, median", 50), ("hash + match, p95", 95)):
        print(f"{label:32}" + "".join(
            f"{np.percentile([r[f'{n} seconds'] for r in every], pick):>10.3f}"
            for n in names))
    ocr = [r["ocr"] for r in every]
    print(f"{'OCR (shared), median':32}{np.median(ocr):>10.3f}\n"
          f"{'OCR (shared), p95':32}{np.percentile(ocr, 95):>10.3f}")


if __name__ == "__main__":
    main()
