"""The drawing model both renderers share: pages of text runs, rules and shaded boxes, in points.

Layouts place everything here once; :mod:`builder.synth.render_pdf` writes it as a PDF with a
text layer and :mod:`builder.synth.render_image` paints it at a resolution and makes it look
scanned. A text run's ``y`` is its baseline; ``align`` says whether ``x`` is its left edge,
right edge or centre.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Union

from builder.synth.fonts import FontSet


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    size: float
    family: str = "sans"
    bold: bool = False
    align: str = "left"  # left | right | center


@dataclass(frozen=True)
class Rule:
    x1: float
    y1: float
    x2: float
    y2: float
    width: float = 0.6


@dataclass(frozen=True)
class Shade:
    x: float
    y: float
    w: float
    h: float
    gray: int = 230  # 0 black .. 255 white


Mark = Union[Text, Rule, Shade]


@dataclass
class Page:
    width: float
    height: float
    marks: list[Mark] = field(default_factory=list)


class Sheet:
    """Pages being filled top to bottom, with text measurement from the font set."""

    def __init__(self, fonts: FontSet, width: float, height: float, family: str = "sans") -> None:
        self.fonts = fonts
        self.width = width
        self.height = height
        self.family = family
        self.pages: list[Page] = [Page(width, height)]

    @property
    def page(self) -> Page:
        return self.pages[-1]

    def new_page(self) -> None:
        self.pages.append(Page(self.width, self.height))

    def measure(self, text: str, size: float, bold: bool = False, family: str = "") -> float:
        return self.fonts.width(self.fonts.printable(text), family or self.family, size, bold)

    def text(self, x: float, y: float, text: str, size: float, *, bold: bool = False, align: str = "left", family: str = "", page: Optional[Page] = None) -> float:
        """Place a run (on the current page unless ``page`` is given); returns its width."""
        printed = self.fonts.printable(text)
        (page or self.page).marks.append(Text(x, y, printed, size, family or self.family, bold, align))
        return self.measure(printed, size, bold, family)

    def rule(self, x1: float, y1: float, x2: float, y2: float, width: float = 0.6) -> None:
        self.page.marks.append(Rule(x1, y1, x2, y2, width))

    def shade(self, x: float, y: float, w: float, h: float, gray: int = 230) -> None:
        self.page.marks.insert(0, Shade(x, y, w, h, gray))

    def wrap(self, text: str, size: float, width: float, bold: bool = False) -> list[str]:
        """Greedy word wrap to ``width`` points."""
        lines: list[str] = []
        current = ""
        for word in text.split():
            trial = f"{current} {word}".strip()
            if current and self.measure(trial, size, bold) > width:
                lines.append(current)
                current = word
            else:
                current = trial
        if current:
            lines.append(current)
        return lines or [""]

    def crop_height(self, bottom: float) -> None:
        """Receipts: the last page ends where its content does."""
        self.page.height = bottom
