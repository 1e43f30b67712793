"""Pages painted with Pillow and made to look scanned or photographed.

Scans: paper tint, a slight rotation, blur, sensor noise, uneven contrast and JPEG
compression. Thermal receipts also fade (lower contrast, grey print) and are skewed more. The
jitter is drawn from the document's own random stream, so a seed reproduces the pixels.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from builder.synth.fonts import FontSet
from builder.synth.page import Page, Rule, Shade, Text

_ANCHOR = {"left": "ls", "right": "rs", "center": "ms"}


def paint(page: Page, fonts: FontSet, dpi: float, ink: int = 20) -> Image.Image:
    scale = dpi / 72.0
    image = Image.new("L", (max(1, round(page.width * scale)), max(1, round(page.height * scale))), 255)
    draw = ImageDraw.Draw(image)
    for mark in page.marks:
        if isinstance(mark, Shade):
            draw.rectangle([mark.x * scale, mark.y * scale, (mark.x + mark.w) * scale, (mark.y + mark.h) * scale], fill=mark.gray)
        elif isinstance(mark, Rule):
            draw.line([mark.x1 * scale, mark.y1 * scale, mark.x2 * scale, mark.y2 * scale], fill=ink, width=max(1, round(mark.width * scale)))
        elif isinstance(mark, Text) and mark.text:
            font = fonts.pil(mark.family, mark.bold, mark.size * scale)
            draw.text((mark.x * scale, mark.y * scale), mark.text, fill=ink, font=font, anchor=_ANCHOR[mark.align])
    return image


def scan(image: Image.Image, rng: random.Random, *, receipt: bool) -> Image.Image:
    """Scanner / camera look: tint, rotation, blur, noise, contrast."""
    angle = rng.uniform(-3.0, 3.0) if receipt else rng.uniform(-1.2, 1.2)
    paper = rng.randint(228, 250)
    image = image.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=paper)
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.2, 0.9)))
    pixels = np.asarray(image, dtype=np.float32)
    low = rng.uniform(25, 110) if receipt else rng.uniform(10, 60)  # faded thermal print is grey
    pixels = low + (pixels / 255.0) * (paper - low)
    height = pixels.shape[0]
    gradient = np.linspace(rng.uniform(-12, 0), rng.uniform(0, 12), height, dtype=np.float32)[:, None]
    noise = np.random.default_rng(rng.randint(0, 2**31)).normal(0, rng.uniform(2, 9), pixels.shape).astype(np.float32)
    pixels = np.clip(pixels + gradient + noise, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, mode="L").convert("RGB")


def write_scan(pages: list[Page], path: Path, fonts: FontSet, rng: random.Random, *, dpi: float, receipt: bool) -> Path:
    """JPEG for one page, multi-page TIFF for more; returns the path written (suffix set here)."""
    images = [scan(paint(page, fonts, dpi), rng, receipt=receipt) for page in pages]
    if len(images) == 1:
        target = path.with_suffix(".jpg")
        images[0].save(target, quality=rng.randint(60, 90))
    else:
        target = path.with_suffix(".tif")
        images[0].save(target, save_all=True, append_images=images[1:], compression="tiff_jpeg", quality=85, dpi=(dpi, dpi))
    return target
