"""Where a digital PDF came from: the software that made it and, for broadcast orders, the station.

Documents made by one report generator (``ReportBuilder``, ``Crystal Reports``, ...) share a
layout family, and a station's orders all come out of that station's traffic system; a split
that lets either straddle its two sides would tune on the very layouts it then reports as
unseen. The producer is read from the PDF's metadata (``/Producer``, else ``/Creator``) and
reduced to its family (version numbers dropped). The station is the call sign (``K``/``W`` and
two or three letters, optionally ``-TV``/``-DT``/...) printed most often in the text layer, first
printed on ties; ordinary words of that shape are listed in ``data/grouping.json``.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from extraction.evaluate.grouping_data import grouping_data

_CALL_SIGN = re.compile(r"(?<![A-Za-z0-9])([KW][A-Z]{2,3})(?:-(?:TV|DT|FM|AM|CD|LD|CA|HD)\d?)?(?![A-Za-z0-9])")


@dataclass(frozen=True)
class PdfSource:
    producer: str  # the metadata as written ("" when absent or not a PDF)
    system: str  # the producer's family: "ReportBuilder", "GPL Ghostscript", ... ("" when unknown)
    generator: Optional[str]  # the report generator named by the metadata, when it names one
    station: Optional[str]  # the call sign printed most often, when any


def producer_family(producer: str) -> str:
    """``"GPL Ghostscript 8.15"`` -> ``"GPL Ghostscript"``: the words before the first one with a digit."""
    words: list[str] = []
    for word in producer.replace("\x00", " ").split():
        if any(ch.isdigit() for ch in word) or word.startswith("("):
            break
        words.append(word)
    family = " ".join(words).strip(" :,-")
    for filler in (" Version", " version", " by", " for"):
        if family.endswith(filler):
            family = family[: -len(filler)]
    return family.strip()


def generator_of(metadata_text: str) -> Optional[str]:
    """The report generator a Producer/Creator text names (longest name first), if any."""
    folded = metadata_text.lower()
    for name in sorted(grouping_data()["report_generators"], key=len, reverse=True):
        if name.lower() in folded:
            return name
    return None


def station_in(text: str) -> Optional[str]:
    """The call sign printed most often in ``text`` (first printed wins ties), ignoring stop words."""
    stop = set(grouping_data()["call_sign_stopwords"])
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    for index, match in enumerate(_CALL_SIGN.finditer(text)):
        sign = match.group(1)
        if sign in stop:
            continue
        counts[sign] += 1
        first.setdefault(sign, index)
    if not counts:
        return None
    return max(counts, key=lambda s: (counts[s], -first[s]))


@functools.lru_cache(maxsize=4096)
def pdf_source(path: Path) -> PdfSource:
    """Read a PDF's metadata and text layer; a file that is not a readable PDF has an empty source."""
    if path is None or not Path(path).is_file() or Path(path).read_bytes()[:5] != b"%PDF-":
        return PdfSource("", "", None, None)
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except Exception:  # damaged or encrypted: no source to read
        return PdfSource("", "", None, None)
    try:
        meta = pdf.get_metadata_dict()
        producer = (meta.get("Producer") or "").strip()
        creator = (meta.get("Creator") or "").strip()
        texts = []
        for index in range(len(pdf)):
            page = pdf[index]
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
    finally:
        pdf.close()
    written = producer or creator
    return PdfSource(
        producer=written,
        system=producer_family(written),
        generator=generator_of(f"{producer} {creator}"),
        station=station_in("\n".join(texts)),
    )
