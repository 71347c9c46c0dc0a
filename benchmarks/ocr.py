"""OCR word recall and latency on generated memes and screenshots, side by side with plain
Tesseract (no preprocessing) in the same run, on one core; and known-image matching.

Run: ``python benchmarks/ocr.py [--images N]``. Prints, for Haven's reading and for the
reference: word recall, harassing images flagged and benign images flagged (same
classifier), and latency per image (median, p95) at 1080p and at phone-screenshot size.
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
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.images import (  # noqa: E402
    LANGUAGES,
    classifiable_text,
    closest_match,
    decode,
    dictionary_for,
    fingerprint,
    image_hashes,
    read_text,
    text_words,
)
from classifier import load_model  # noqa: E402
from tests.imagegen import (  # noqa: E402
    BENIGN,
    HARASSING,
    PHOTOS,
    chat_screenshot,
    meme,
    photo,
    samples,
)


def plain_tesseract(image) -> str:
    import pytesseract

    return pytesseract.image_to_string(image, lang=LANGUAGES)


def recall(expected: str, read: str) -> float:
    words = {w.strip(".,;:!?'\"|()[]") for w in read.lower().split()}
    wanted = expected.lower().split()
    return sum(w in words for w in wanted) / len(wanted)


KINDS = {"meme": "memes", "caption": "caption memes", "light": "light screens",
         "dark": "dark screens"}  # recall on the harassing images of each kind


def measure(reader, cases, model) -> dict:
    recalls, seconds, flags = [], [], []
    for case in cases:
        start = time.perf_counter()
        text = reader(case.image)
        score = model.classify([text], read_in_image=True)[0].score if text.strip() else 0.0
        seconds.append(time.perf_counter() - start)
        recalls.append(recall(case.text, text))
        flags.append((case.harassing, score >= model.threshold))
    harassing = [f for h, f in flags if h]
    benign = [f for h, f in flags if not h]
    by_kind = {f"recall_{kind}": np.mean([r for r, c in zip(recalls, cases, strict=True)
                                          if c.harassing and c.kind == kind])
               for kind in KINDS}
    return {"recall": np.mean(recalls), **by_kind, "harassing_flagged": np.mean(harassing),
            "benign_flagged": np.mean(benign), "p50": np.median(seconds),
            "p95": np.percentile(seconds, 95)}


def copies(image, rng):
    from PIL import ImageOps

    for how in ("jpeg", "resize", "crop", "border"):
        copy = image
        if how == "resize":
            factor = rng.uniform(0.5, 1.5)
            copy = copy.resize((int(copy.width * factor), int(copy.height * factor)))
        elif how == "crop":
            w, h = copy.size
            cut = rng.uniform(0.01, 0.05)
            copy = copy.crop((int(w * cut), int(h * cut), w - int(w * cut), h - int(h * cut)))
        elif how == "border":
            copy = ImageOps.expand(copy, int(min(copy.size) * 0.06),
                                   fill=rng.choice(["white", "black"]))
        buffer = io.BytesIO()
        copy.save(buffer, "JPEG", quality=rng.randint(60, 90))
        yield decode(buffer.getvalue())


def known_images(dictionary) -> None:
    rng = random.Random(1)
    originals = [meme(text, background=background, size=(900, 600))
                 for text, background in zip(HARASSING["en"][:4] + HARASSING["nl"][:4],
                                             ["astronaut", "rocket", "coffee", "retina"] * 2,
                                             strict=True)]
    known = []
    for i, image in enumerate(originals):
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        print_ = fingerprint(buffer.getvalue(), dictionary)
        known.append((i, print_.hashes, print_.words))

    def match(image):
        words = text_words(read_text(image, dictionary=dictionary).text, dictionary)
        return closest_match(image_hashes(image), words, known)

    tried = [(i, match(copy)) for i, image in enumerate(originals) for copy in copies(image, rng)]
    matched = sum(m is not None and m[0] == i for i, m in tried)
    others = [p for p in PHOTOS if p not in {"astronaut", "rocket", "coffee", "retina"}]
    unrelated = []
    for j in range(200):
        pick = random.Random(100 + j)
        kind = j % 3
        if kind == 0:
            unrelated.append(meme(pick.choice(BENIGN["en"] + BENIGN["nl"]),
                                  background=pick.choice(others), size=(800, 600)))
        elif kind == 1:
            unrelated.append(chat_screenshot([("Tom", pick.choice(BENIGN["en"] + BENIGN["nl"]))],
                                             dark=pick.random() < 0.5, size=(750, 1334)))
        else:
            base = photo(pick.choice(others), (800, 600))
            x, y = pick.randint(0, 300), pick.randint(0, 200)
            unrelated.append(base.crop((x, y, x + 450, y + 350)))
    false = sum(match(image) is not None for image in unrelated)
    print(f"\nknown images: {matched}/{len(tried)} copies matched "
          f"({matched / len(tried):.0%}; re-encoded, resized, cropped, framed); "
          f"{false} false matches against {len(unrelated)} unrelated images")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=60, help="generated images to read")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    model = load_model()
    dictionary = dictionary_for(model)
    cases = samples(args.images, seed=42)
    print(f"{len(cases)} generated images (memes, caption memes, light and dark screenshots; "
          "half harassing; English and Dutch), one core\n")
    readers = {"haven": lambda image: classifiable_text(read_text(image,
                                                                  dictionary=dictionary)),
               "plain tesseract": plain_tesseract}
    rows = {name: measure(reader, cases, model) for name, reader in readers.items()}
    print(f"{'':26}{'haven':>12}{'plain tesseract':>18}")
    for key, label, fmt in (("recall", "word recall", "{:.1%}"),
                            *((f"recall_{kind}", f"  {name}", "{:.1%}")
                              for kind, name in KINDS.items()),
                            ("harassing_flagged", "harassing flagged", "{:.1%}"),
                            ("benign_flagged", "benign flagged", "{:.1%}"),
                            ("p50", "seconds/image p50", "{:.2f}"),
                            ("p95", "seconds/image p95", "{:.2f}")):
        print(f"{label:26}{fmt.format(rows['haven'][key]):>12}"
              f"{fmt.format(rows['plain tesseract'][key]):>18}")
    for label, size in (("1080p meme", (1920, 1080)), ("phone screenshot", (1080, 2340))):
        images = [meme(t, background=PHOTOS[i % 6], size=size) if label.endswith("meme")
                  else chat_screenshot([("Mark", t)], size=size)
                  for i, t in enumerate(HARASSING["en"] + BENIGN["nl"])]
        seconds = []
        for image in images:
            start = time.perf_counter()
            text = read_text(image, dictionary=dictionary).text
            model.classify([text], read_in_image=True)
            seconds.append(time.perf_counter() - start)
        print(f"OCR + classification, {label} {size[0]}x{size[1]}: "
              f"median {np.median(seconds):.2f} s, p95 {np.percentile(seconds, 95):.2f} s")
    known_images(dictionary)


if __name__ == "__main__":
    main()
