"""Fonts for the synthetic documents: the machine's DejaVu faces, or Pillow's built-in font.

DejaVu covers every letter of the generator's languages (``ł``, ``ø``, ``ç``), so documents in
all of them can be printed as they would be. Without it, text is printed in Pillow's default
font (images) and the PDF core fonts (Latin-1 only): :meth:`FontSet.printable` then folds the
letters those fonts lack (``ł`` -> ``l``), and the content is drawn from the folded text so that
the truth still matches the print. ``SYNTH_FONT_DIR`` adds a folder to search.
"""

from __future__ import annotations

import functools
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from PIL import ImageFont

FAMILIES = ("sans", "serif", "condensed", "mono")
_FILES = {
    ("sans", False): "DejaVuSans.ttf",
    ("sans", True): "DejaVuSans-Bold.ttf",
    ("serif", False): "DejaVuSerif.ttf",
    ("serif", True): "DejaVuSerif-Bold.ttf",
    ("condensed", False): "DejaVuSansCondensed.ttf",
    ("condensed", True): "DejaVuSansCondensed-Bold.ttf",
    ("mono", False): "DejaVuSansMono.ttf",
    ("mono", True): "DejaVuSansMono-Bold.ttf",
}
_SEARCH = ("/usr/share/fonts", "/usr/local/share/fonts", "/Library/Fonts", "C:/Windows/Fonts", str(Path.home() / ".fonts"), str(Path.home() / ".local/share/fonts"))
_MEASURE_SIZE = 100  # widths are measured at this size and scaled


@functools.lru_cache(maxsize=1)
def _find_files() -> dict[tuple[str, bool], Path]:
    folders = [os.environ["SYNTH_FONT_DIR"]] if os.environ.get("SYNTH_FONT_DIR") else []
    folders.extend(_SEARCH)
    wanted = {name: key for key, name in _FILES.items()}
    found: dict[tuple[str, bool], Path] = {}
    for folder in folders:
        if not Path(folder).is_dir():
            continue
        for path in Path(folder).rglob("*.ttf"):
            key = wanted.get(path.name)
            if key and key not in found:
                found[key] = path
    return found


@dataclass(frozen=True)
class FontSet:
    files: dict[tuple[str, bool], Path]

    @property
    def unicode(self) -> bool:
        """True when TrueType faces are available (any letter prints); False: Latin-1 only."""
        return bool(self.files)

    def path(self, family: str, bold: bool) -> Optional[Path]:
        return self.files.get((family, bold)) or self.files.get((family, False)) or self.files.get(("sans", bold)) or self.files.get(("sans", False))

    def pil(self, family: str, bold: bool, size: float) -> ImageFont.FreeTypeFont:
        return _pil_font(self.path(family, bold), max(1, round(size)))

    def width(self, text: str, family: str, size: float, bold: bool = False) -> float:
        """Advance width of ``text`` in points at ``size`` points."""
        return _pil_font(self.path(family, bold), _MEASURE_SIZE).getlength(text) * size / _MEASURE_SIZE

    def printable(self, text: str) -> str:
        """``text`` as these fonts can print it (unchanged with TrueType faces)."""
        if self.unicode:
            return text
        out = []
        for ch in text:
            if ch in "€":
                out.append("EUR")
            elif ord(ch) < 256:
                out.append(ch)
            else:
                folded = "".join(c for c in unicodedata.normalize("NFKD", ch) if ord(c) < 128)
                out.append(folded or {"ł": "l", "Ł": "L", "đ": "d", "ı": "i"}.get(ch, "?"))
        return "".join(out)


@functools.lru_cache(maxsize=256)
def _pil_font(path: Optional[Path], size: int) -> ImageFont.FreeTypeFont:
    if path is None:
        return ImageFont.load_default(size=size)  # type: ignore[return-value]
    return ImageFont.truetype(str(path), size)


@functools.lru_cache(maxsize=1)
def font_set() -> FontSet:
    return FontSet(dict(_find_files()))
