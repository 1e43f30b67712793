"""The OCR cache replays an engine's lines for identical page pixels and engine settings."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from extraction.evaluate.ocrcache import CachedOcr
from extraction.layout import Line


class CountingOcr:
    name = "counting"

    def __init__(self, setting: int = 1) -> None:
        self.calls = 0
        self.setting = setting

    def recognize(self, image: Image.Image) -> list[Line]:
        self.calls += 1
        return [Line.from_text(f"TOTAL {image.size[0]}.00", (1.0, 2.0, 30.0, 9.5), 0.875)]

    def describe(self) -> dict:
        return {"name": self.name, "setting": self.setting}


def test_hit_replays_identical_lines(tmp_path: Path) -> None:
    engine = CountingOcr()
    cached = CachedOcr(engine, tmp_path)
    image = Image.new("RGB", (40, 20), "white")
    first = cached.recognize(image)
    second = CachedOcr(engine, tmp_path).recognize(image.copy())  # another process, same pixels
    assert engine.calls == 1
    assert second == first
    assert (cached.hits, cached.misses) == (0, 1)


def test_other_pixels_or_settings_miss(tmp_path: Path) -> None:
    engine = CountingOcr()
    cached = CachedOcr(engine, tmp_path)
    cached.recognize(Image.new("RGB", (40, 20), "white"))
    cached.recognize(Image.new("RGB", (40, 20), "black"))
    CachedOcr(CountingOcr(setting=2), tmp_path).recognize(Image.new("RGB", (40, 20), "white"))
    assert engine.calls == 2
    assert len(list(tmp_path.rglob("*.json"))) == 3


def test_damaged_entry_is_recomputed(tmp_path: Path) -> None:
    engine = CountingOcr()
    cached = CachedOcr(engine, tmp_path)
    image = Image.new("RGB", (40, 20), "white")
    cached.recognize(image)
    (entry,) = tmp_path.rglob("*.json")
    entry.write_text("{broken", encoding="utf-8")
    assert cached.recognize(image)[0].text == "TOTAL 40.00"
    assert engine.calls == 2
