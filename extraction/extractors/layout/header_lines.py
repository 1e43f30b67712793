"""How a header row reads: a title, a line that ends the header block, a registration-number
line, street and postcode cues, a one-line sender address.

Why a module of its own: the vendor finder (:mod:`.vendor`) and the address finder
(:mod:`.address`) judge the same rows with the same cues; see docs/rules.md for the decisions
and the measurements behind them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Optional

from extraction.extractors.layout.labels import classify, money_in
from extraction.extractors.layout.lexicon import cue_pattern, find_keyword, fold, has_keyword, phrases
from extraction.extractors.layout.rows import Seg
from extraction.normalize.dates import find_dates
from extraction.normalize.times import find_times


#: five digits may follow a comma ("SS21/34,47400 PJ": a thousands group has three digits)
POSTCODE = re.compile(
    r"(?:(?<![\d.])\d{5}|(?<![\d.,])(?:\d{4}\s?[A-Z]{2}|[A-Z]\d[A-Z]\s?\d[A-Z]\d|\d{3}\s?\d{3}|\d{2}-\d{3}))(?!\d|[.,]\d)"
    r"|(?<![A-Za-z0-9])[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}(?![A-Za-z0-9])"  # UK: "EC2V 8AU", "LS1 4AP"
    r"|(?<![\d-])\d{4}-\d{3}(?![\d-])"  # Portugal: "1100-053"
)

REG_NO = re.compile(r"^\(?\s*(?:(?:co\.?|company)?\s*(?:reg\.?)?\s*no\.?\s*:?)?\s*[\dA-Z]{4,}-[A-Z0-9]\s*\)?$", re.IGNORECASE)


def is_stop_line(seg: Any) -> bool:
    """A line that ends the header block: contact, tax id, dates, amounts, document titles."""
    text = seg.folded
    if has_keyword(text, "contact") or has_keyword(text, "vendor_tax_id"):
        return True
    if find_dates(seg.text) or find_times(seg.text):
        return True
    if money_in(seg.text) and classify(seg)[0] in ("total", "subtotal", "tax", "paid", "change"):
        return True
    if is_title(seg):
        return True
    return False


def is_title(seg: Any) -> bool:
    """A document title alone on its segment: "TAX INVOICE", "Faktura", "RECHNUNG / INVOICE"."""
    text = seg.folded.strip(" :.-*")
    compact = text.replace(" ", "")  # "TAXINVOICE": OCR drops spaces in large type
    if compact in _compact_titles():
        return True
    parts = [p.strip(" :.-*").replace(" ", "") for p in _TITLE_SEPARATORS.split(text)]
    return len(parts) > 1 and all(p in _compact_titles() for p in parts)  # one title in two languages


_TITLE_SEPARATORS = re.compile(r"\s*[/|–—]\s*|\s+-\s+")


@lru_cache(maxsize=1)
def _compact_titles() -> frozenset[str]:
    return frozenset(p.replace(" ", "") for p in phrases("doc_title"))


#: a street named by a compound word and its house number (German, Dutch, Nordic): "Hauptstraße 12"
_COMPOUND_STREET = re.compile(rf"(?<![a-z])[a-z]{{2,}}(?:{cue_pattern('street_suffixes')})\s*\d+[a-z]?\b")

#: a street word that leads the line, then a name and a number ("Via Roma 5", "C/ Mayor 3")
_STREET_FIRST = re.compile(rf"\s*(?:{cue_pattern('street_first_words')})\s+[a-z][a-z' .]+\s\d+[a-z]?\b")

#: a house, lot or unit number: "NO. 12", "LOT 5"
_HOUSE_NUMBER = re.compile(rf"\b(?:{cue_pattern('house_number_words')})\.?\s*\d")


def address_score(seg: Any) -> float:
    """How strongly a line reads as part of an address (postcode, street, house number, commas):
    the vendor finder marks such rows down, the address finder keeps them."""
    text = seg.text
    score = 0.0
    if POSTCODE.search(text):
        score += 1.0
    cue = find_keyword(seg.folded, "address")
    if cue is not None and not _legal_form_at_end(seg.folded, cue.group(0), cue.end()):
        score += 1.0
    if re.search(r"\d", text) and "," in text:
        score += 0.5
    if _HOUSE_NUMBER.search(seg.folded) or re.search(r"#\d{1,2}-\d{2,4}\b", text):
        score += 0.7  # "NO. 12", "LOT 5", "#01-01" (a unit number)
    if _COMPOUND_STREET.search(seg.folded) or _STREET_FIRST.match(seg.folded):
        score += 1.0  # "Hauptstraße 12", "Kalverstraat 10", "Via Roma 5"
    if text.rstrip().endswith(","):
        score += 0.4
    return score


def _legal_form_at_end(folded: str, word: str, end: int) -> bool:
    """An address cue that is the legal form closing a name: "Müller GmbH & Co. KG" is not "Kg." (Kampung)."""
    return word in phrases("company_suffix") and not folded[end:].strip(" .,)")


_SHORT_ID_LINE = re.compile(r"^[\W_]*(?:[a-z.\- ]{0,20}[:#]?\s*)?[a-z0-9\-/ ]*\d{3,}[a-z0-9\-/ ]*[\W_]*$")

_ID_TOKEN_RE = re.compile(r"(?<![\w-])(?:\d{6,}[a-z]?|\d{4,}\s?-\s?[a-z0-9]{1,3})(?![\w])")

_STREET_RE = re.compile(rf"(?<![a-z])(?:{cue_pattern('street_words')}|no\.?\s?\d)(?![a-z])")


def is_id_line(row: Any) -> bool:
    """Registration / tax-id / branch-code lines printed around the address ("(CO.REG :860671-D)", "Roc: 1026984-X")."""
    text = row.folded.strip()
    if REG_NO.match(row.text.strip()) or has_keyword(text, "vendor_tax_id"):
        return True
    token = _ID_TOKEN_RE.search(text)
    if token is not None and re.fullmatch(r"\d{4}-\d{3}", token.group(0).strip()):
        token = None  # "1100-053 Lisboa": a Portuguese postcode, not a registration number
    postcode = (
        token is not None and "-" not in text[token.start() : token.end() + 1] and has_keyword(text, "address") and POSTCODE.search(row.text)
    )
    if token is not None and not _STREET_RE.search(text) and not postcode:  # "Singapore 648886" is a town and postcode
        words = re.findall(r"[a-z]{2,}", text[: token.start()] + " " + text[token.end() :])
        if len(words) <= 4:
            return True
    return bool(_SHORT_ID_LINE.match(text)) and address_score(row) < 1.0 and not POSTCODE.search(row.text)


def street_or_postcode(row: Any) -> bool:
    """A street or postcode on the row, not only a place name ("... MALAYSIA", "SUBANG HEALTHCARE")."""
    return bool(POSTCODE.search(row.text) or _STREET_RE.search(row.folded))


SENDER_SEPARATORS = re.compile(r"\s+[-|·•–]\s+")


@dataclass
class PlainText:
    text: str

    @property
    def folded(self) -> str:
        return fold(self.text)


def sender_name(text: str) -> Optional[str]:
    """The company part of a one-line sender address ("QualityHosting AG - Uferweg 40-42 - D-63571 Gelnhausen")."""
    parts = SENDER_SEPARATORS.split(text.strip())
    if len(parts) < 2 or sum(ch.isalpha() for ch in parts[0]) < 3:
        return None
    if address_score(PlainText(parts[0])) >= 1.0:
        return None
    if sum(address_score(PlainText(p)) for p in parts[1:]) < 1.0:
        return None
    return parts[0].strip()


def name_span(row: Any) -> tuple[float, float]:
    """Left and right edge of the name part of a header row."""
    segs = name_segs(row)
    return min(s.bbox[0] for s in segs), max(s.bbox[2] for s in segs)


def name_segs(row: Any) -> list[Seg]:
    """The segments of a header row that can be a name: not titles, dates or ids, and only those
    printed together around the tallest one (a number far to the side is not part of it)."""
    segs = [s for s in row.segs if not (is_title(s) or is_stop_line(s) or is_id_line(s))] or list(row.segs)
    if len(segs) > 1:
        anchor = max(segs, key=lambda s: s.height)
        kept = [anchor]
        for direction in (-1, 1):
            i = segs.index(anchor)
            while 0 <= i + direction < len(segs):
                nxt = segs[i + direction]
                near = kept[-1] if direction == 1 else kept[0]
                gap = nxt.bbox[0] - near.bbox[2] if direction == 1 else near.bbox[0] - nxt.bbox[2]
                if gap > 2.5 * anchor.height:
                    break
                if direction == 1:
                    kept.append(nxt)
                else:
                    kept.insert(0, nxt)
                i += direction
        segs = kept
    return segs


def ocr_confidence(rows: list[Any]) -> float:
    """How sure the OCR was of these rows' text: a name read letter by letter is only as good as that."""
    scores = [s.line.confidence for r in rows for s in r.segs]
    return min(scores) if scores else 1.0
