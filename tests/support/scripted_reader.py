"""A reader process (``python -m tests.support.scripted_reader``) whose OCR engine follows a script.

The colour of a page's first pixel says what the engine does, so a test can make one document
slow, crash its process or hang, and see how the worker's reader pool copes:

- red ``(255, 0, 0)``: the process ends at once, as a crash in native code would;
- blue ``(0, 0, 255)``: the engine never returns;
- otherwise it waits green milliseconds and reads one line naming its process and the shade.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from extraction import engines
from extraction.layout import Line

CRASH = (255, 0, 0)
HANG = (0, 0, 255)


class ScriptedOcr:
    name = "scripted-ocr"

    def recognize(self, image: Any) -> list[Line]:
        pixel = image.convert("RGB").getpixel((0, 0))
        if pixel == CRASH:
            os._exit(3)
        if pixel == HANG:
            time.sleep(3600)
        time.sleep(pixel[1] / 1000.0)
        text = f"PID {os.getpid()} SHADE {pixel[1]}"
        return [Line.from_text(text, (10, 10, 10 + 12 * len(text), 30), 0.9)]

    def describe(self) -> dict:
        return {"name": self.name}


if __name__ == "__main__":
    engines.build_ocr = lambda name=None: ScriptedOcr()  # what the reader builds on "init"
    from extraction.reader import serve

    sys.exit(serve())
