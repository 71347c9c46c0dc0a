"""Memes and chat screenshots made with Pillow, for OCR tests and benchmarks.

Backgrounds are the sample photos scikit-image ships; fonts are Debian's DejaVu and
Liberation (installed by ``.ci/run``). Everything is deterministic for a given seed.
"""

from __future__ import annotations

import random
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/liberation")]
BOLD_FONTS = ["DejaVuSans-Bold.ttf", "DejaVuSansCondensed-Bold.ttf", "LiberationSans-Bold.ttf",
              "LiberationSansNarrow-Bold.ttf", "DejaVuSerif-Bold.ttf"]
REGULAR_FONTS = ["DejaVuSans.ttf", "LiberationSans-Regular.ttf"]
PHOTOS = ["astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field", "retina",
          "immunohistochemistry", "camera", "coins", "moon", "grass", "brick"]

HARASSING = {
    "en": ["nobody wants you on this team", "you are a useless idiot", "women belong in the "
           "kitchen not in engineering", "go back to your own country", "shut up you fat cow",
           "you should just quit already", "gay people should not work here",
           "I know where you live", "you are too stupid to code", "send me nudes tonight"],
    "nl": ["niemand wil jou in dit team", "jij bent een waardeloze sukkel", "vrouwen horen "
           "niet op kantoor", "ga terug naar je eigen land", "hou je bek vuile trut",
           "jij bent een kankerlijer", "homo's horen hier niet te werken",
           "ik weet waar je woont", "jij bent te dom om te programmeren",
           "stuur me vanavond een naaktfoto"],
}
BENIGN = {
    "en": ["when the build finally passes", "great job team we crushed it", "coffee first "
           "then code", "me explaining the roadmap", "friday deploy what could go wrong",
           "this bug is killing me", "welcome to the team", "lunch is on me today",
           "kill the process and restart", "happy birthday to our designer"],
    "nl": ["als de build eindelijk slaagt", "goed gedaan team", "eerst koffie dan code",
           "ik als ik de planning uitleg", "vrijdag deployen wat kan er misgaan",
           "die deadline maakt me kapot", "welkom in het team", "de lunch is van mij vandaag",
           "dat was ziek goed", "gefeliciteerd met je verjaardag"],
}


def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return ImageFont.truetype(str(folder / name), size)
    raise FileNotFoundError(f"font {name} (install fonts-dejavu-core and fonts-liberation)")


def photo(name: str, size: tuple[int, int]) -> Image.Image:
    """A scikit-image sample photo, as RGB, stretched to ``size``."""
    import skimage.data

    pixels = getattr(skimage.data, name)()
    if pixels.ndim == 2:
        pixels = np.stack([pixels] * 3, axis=-1)
    return Image.fromarray(pixels[..., :3].astype(np.uint8)).resize(size)


def _centered_lines(draw, lines, face, width, y, fill, stroke=0, stroke_fill="black"):
    for line in lines:
        w = draw.textlength(line, font=face)
        draw.text(((width - w) / 2, y), line, font=face, fill=fill, stroke_width=stroke,
                  stroke_fill=stroke_fill)
        y += int(face.size * 1.15)
    return y


def meme(top: str, bottom: str = "", *, background: str = "astronaut",
         size: tuple[int, int] = (1920, 1080), font_name: str = BOLD_FONTS[0],
         color: str = "white", scale: float = 0.09) -> Image.Image:
    """Impact-style capitals with a black outline over a photo."""
    image = photo(background, size)
    draw = ImageDraw.Draw(image)
    width, height = size
    face = font(font_name, max(12, int(height * scale)))
    per_line = max(8, int(width * 0.92 / (face.size * 0.75)))
    y = _centered_lines(draw, textwrap.wrap(top.upper(), per_line), face, width,
                        int(height * 0.04), color, max(2, face.size // 14))
    if bottom:
        lines = textwrap.wrap(bottom.upper(), per_line)
        y = height - int(face.size * 1.15) * len(lines) - int(height * 0.04)
        _centered_lines(draw, lines, face, width, y, color, max(2, face.size // 14))
    return image


def caption_bar(text: str, *, background: str | None = "coffee",
                size: tuple[int, int] = (1200, 900), font_name: str = REGULAR_FONTS[0],
                photo_image: Image.Image | None = None) -> Image.Image:
    """A white bar with black text above a photo (the "twitter meme"), or above
    ``photo_image`` when one is given."""
    width, height = size
    face = font(font_name, max(14, int(height * 0.05)))
    lines = textwrap.wrap(text, max(10, int(width / (face.size * 0.55))))
    bar = int(face.size * 1.3) * len(lines) + 40
    image = Image.new("RGB", (width, height + bar), "white")
    image.paste(photo_image if photo_image is not None else photo(background, size), (0, bar))
    _centered_lines(ImageDraw.Draw(image), lines, face, width, 20, "black")
    return image


def chat_screenshot(lines: list[tuple[str, str]], *, dark: bool = False,
                    size: tuple[int, int] = (1080, 2340), text_size: int = 38) -> Image.Image:
    """A chat app screenshot, light or dark mode, with names and message bubbles."""
    background, ink, bubble = ((26, 29, 33), (232, 232, 232), (50, 54, 60)) if dark else \
        ((255, 255, 255), (29, 28, 29), (240, 241, 245))
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    body, name_face = font(REGULAR_FONTS[1], text_size), font(BOLD_FONTS[2], text_size - 4)
    y = int(text_size * 3)
    for name, text in lines:
        draw.text((60, y), name, font=name_face, fill=ink)
        y += int(text_size * 1.4)
        wrapped = textwrap.wrap(text, max(12, int((size[0] - 160) / (text_size * 0.5))))
        line_height = int(text_size * 1.3)
        draw.rounded_rectangle((45, y - 12, size[0] - 60, y + line_height * len(wrapped) + 8),
                               radius=18, fill=bubble)
        for line in wrapped:
            draw.text((70, y), line, font=body, fill=ink)
            y += line_height
        y += int(text_size * 1.2)
    return image


@dataclass
class Sample:
    """A generated image with what it says and whether that is harassment."""

    image: Image.Image
    text: str
    harassing: bool
    lang: str
    kind: str


def samples(n: int, seed: int = 0) -> list[Sample]:
    """``n`` varied memes and screenshots, half harassing, both languages."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        lang = ("en", "nl")[i % 2]
        harassing = (i // 2) % 2 == 0
        text = rng.choice((HARASSING if harassing else BENIGN)[lang])
        kind = rng.choice(["meme", "meme", "caption", "light", "dark"])
        if kind == "meme":
            words = text.split()
            cut = rng.randint(max(1, len(words) // 3), max(1, len(words) - 1))
            image = meme(" ".join(words[:cut]), " ".join(words[cut:]),
                         background=rng.choice(PHOTOS), font_name=rng.choice(BOLD_FONTS),
                         color=rng.choice(["white", "white", "yellow"]),
                         size=rng.choice([(1920, 1080), (1080, 1080), (800, 600)]),
                         scale=rng.uniform(0.07, 0.11))
        elif kind == "caption":
            image = caption_bar(text, background=rng.choice(PHOTOS))
        else:
            size = rng.choice([(1080, 2340), (1920, 1080), (750, 1334)])
            image = chat_screenshot([("Mark", text), ("Sanne", rng.choice(["??", "wow", "ok"]))],
                                    dark=kind == "dark", size=size,
                                    text_size=rng.choice([26, 32, 38]))
        if rng.random() < 0.3:
            image = image.rotate(rng.uniform(-3, 3), expand=True, fillcolor="white",
                                 resample=Image.Resampling.BICUBIC)
        out.append(Sample(image, text, harassing, lang, kind))
    return out


# -- re-shared copies ---------------------------------------------------------------------------
TRANSFORMS = ["jpeg-90", "jpeg-60", "jpeg-35", "resize-50", "resize-200", "crop-5", "crop-10",
              "crop-side-15", "border-white-5", "border-black-10", "border-colour-15",
              "caption-bar", "rotate+2", "rotate-2", "screenshot"]


def _bordered(image: Image.Image, share: float, fill) -> Image.Image:
    w, h = image.size
    out = Image.new("RGB", (w + 2 * round(w * share), h + 2 * round(h * share)), fill)
    out.paste(image, (round(w * share), round(h * share)))
    return out


def _screenshot_of(image: Image.Image, rng: random.Random) -> Image.Image:
    """The image as seen in a phone's gallery or a chat app: scaled into a portrait screen
    with a header bar (a name and a time) above it and a reply bar below it."""
    dark = rng.random() < 0.5
    background, ink, bar = ((0, 0, 0), (235, 235, 235), (28, 28, 30)) if dark else \
        ((245, 245, 245), (20, 20, 20), (255, 255, 255))
    screen = Image.new("RGB", (1080, 2340), background)
    width = rng.randint(960, 1080)
    height = round(image.height * width / image.width)
    if height > 1700:
        height, width = 1700, round(image.width * 1700 / image.height)
    top = rng.randint(260, 2340 - height - 260) if height < 1820 else 260
    screen.paste(image.resize((width, height), Image.Resampling.BICUBIC),
                 ((1080 - width) // 2, top))
    draw = ImageDraw.Draw(screen)
    draw.rectangle((0, 0, 1080, 190), fill=bar)
    draw.text((40, 70), rng.choice(["Mark", "Photos", "Sanne", "#general"]),
              font=font(BOLD_FONTS[0], 48), fill=ink)
    draw.text((820, 75), f"{rng.randint(8, 22)}:{rng.randint(10, 59)}",
              font=font(REGULAR_FONTS[0], 40), fill=ink)
    draw.rectangle((0, 2160, 1080, 2340), fill=bar)
    draw.text((40, 2220), "Reply...", font=font(REGULAR_FONTS[0], 40), fill=ink)
    return screen.resize((540, 1170), Image.Resampling.BICUBIC)


def transformed(image: Image.Image, how: str, rng: random.Random) -> bytes:
    """A re-shared copy of ``image`` (one of TRANSFORMS), as the JPEG or PNG file someone
    would post."""
    import io

    quality = 80
    w, h = image.size
    if how.startswith("jpeg-"):
        quality = int(how.split("-")[1])
    elif how.startswith("resize-"):
        factor = int(how.split("-")[1]) / 100
        image = image.resize((round(w * factor), round(h * factor)), Image.Resampling.BICUBIC)
    elif how.startswith("crop-side-"):
        cut = int(how.split("-")[2]) / 100
        side = rng.randrange(4)
        box = [0, 0, w, h]
        box[side] = round((w, h)[side % 2] * cut) if side < 2 else \
            round((w, h)[side % 2] * (1 - cut))
        image = image.crop(tuple(box))
    elif how.startswith("crop-"):
        cut = int(how.split("-")[1]) / 100
        image = image.crop((round(w * cut), round(h * cut), w - round(w * cut),
                            h - round(h * cut)))
    elif how.startswith("border-"):
        _, colour, share = how.split("-")
        fill = colour if colour != "colour" else tuple(rng.randrange(256) for _ in range(3))
        image = _bordered(image, int(share) / 100, fill)
    elif how == "caption-bar":
        text = rng.choice(["when you see it", "lmao look at this", "me every monday",
                           "this is so true", "sending this to the group chat"])
        image = caption_bar(text, background=None, size=(w, h), photo_image=image)
    elif how.startswith("rotate"):
        image = image.rotate(float(how[6:]), expand=True, fillcolor="white",
                             resample=Image.Resampling.BICUBIC)
    elif how == "screenshot":
        image = _screenshot_of(image, rng)
        quality = 70
    else:
        raise ValueError(how)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()
