"""The OCR engine interface: a page image in, lines with word boxes out (page pixels)."""

from __future__ import annotations

from typing import Protocol

from PIL import Image

from extraction.layout import Line


class OcrEngine(Protocol):
    name: str

    def recognize(self, image: Image.Image) -> list[Line]:
        """Lines in reading order, boxes in the pixel space of ``image``; raise on engine failure."""
        ...

    def describe(self) -> dict:
        """Engine facts for the output's ``engines`` block (name, models, load time...)."""
        ...
