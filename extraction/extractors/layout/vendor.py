"""The vendor name: who sent the document.

The strongest row of the header block (larger type, a company suffix, capitals, near the
top) that is not an address, contact, id or title line, joined with the rows that continue
it; printed registration numbers are cut off (:func:`clean_vendor`).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Optional

from extraction.extractors.layout.header_lines import (
    POSTCODE,
    REG_NO,
    PlainText,
    address_score,
    is_stop_line,
    name_segs,
    name_span,
    ocr_confidence,
    sender_name,
    street_or_postcode,
)
from extraction.extractors.layout.labels import Candidate
from extraction.extractors.layout.lexicon import cue_pattern, find_keyword, fold, has_keyword, phrases
from extraction.extractors.layout.rows import PageLayout
from extraction.extractors.layout.table_header import is_table_header
from extraction.layout import union_bbox
from extraction.normalize.dates import find_dates
from extraction.normalize.fields import clean_text
from extraction.schema import ExtractedField


_PAREN = re.compile(r"[(\[（][^)\]）]*[)\]）]?")


def _suffix_only(row: Any) -> bool:
    """A row that only continues a company name: "SDN BHD", "CO. (M) SDN BHD", "ENTERPRISE (SETIA"."""
    rest = _PAREN.sub(" ", row.folded)
    for phrase in phrases("company_suffix"):
        rest = re.sub(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])", " ", rest)
    rest = re.sub(r"[^a-z0-9]+", " ", rest).strip()
    return not rest


_TRAILING_REG = re.compile(
    r"\s*[(\[（]?\s*(?<![\w#-])(?:co\.?\s*(?:reg\.?\s*)?no\.?\s*:?\s*)?[A-Z0-9]*\d{3,}[A-Z0-9]*(?:\s*-\s*[A-Z0-9]{1,4}|\s[A-Z])?\s*[)\]）]?(?:\s*[(（][^)）]*[)）]?)?\s*$",
    re.IGNORECASE,
)

_TRAILING_SCRAP = re.compile(r"\s+[^\s()]{1,2}\)\s*$")

_LEADING_NUMBER = re.compile(r"^#?\d{4,}\s+(?=[A-Za-z])")


def _strip_trailing_id_group(text: str) -> str:
    """Drop a final parenthesised group holding a registration number, nested ones included."""
    stripped = text.rstrip()
    if not stripped.endswith((")", "）")):
        return text
    depth = 0
    for index in range(len(stripped) - 1, -1, -1):
        ch = stripped[index]
        if ch in ")）":
            depth += 1
        elif ch in "(（":
            depth -= 1
            if depth == 0:
                group = stripped[index:]
                return stripped[:index].rstrip() if re.search(r"\d{4,}", group) and index > 0 else text
    return text


_MID_REG = re.compile(r"\s*\(\s*\d{4,}\s?-\s?[A-Z0-9]\s*\)\s*(?=\S)")


def clean_vendor(text: str) -> str:
    """A company name without the registration number printed beside it ("ACME SDN BHD (123456-X)")."""
    text = unicodedata.normalize("NFKC", text).strip().rstrip(",;")
    cut = _MID_REG.search(text)
    if cut is not None and sum(ch.isalpha() for ch in text[: cut.start()]) >= 3:
        text = text[: cut.start()]  # "MYNEWS RETAIL SB (306295-X) FKA BISON STORES SB": the name ends at its number
    stripped = _TRAILING_SCRAP.sub("", _TRAILING_REG.sub("", _strip_trailing_id_group(text)))
    if sum(ch.isalpha() for ch in stripped) >= 3:
        text = stripped
    text = _LEADING_NUMBER.sub("", text)
    text = re.sub(r"(?i)((?:sdn\.?\s?bhd|bhd|s/b|berhad|ltd|limited)\.?)\s*\([^()]*$", r"\1", text)  # "... SDN BHD (MUTIARA RINI"
    text = re.sub(r"(?<=\bSDN)(\.?\s?)(?:[8D]HD|BH[O0])\b", r"\1BHD", text)  # "SDN DHD", "SDN BH0"
    text = re.sub(r"(?i)\b(sdn\.?\s?bhd|bhd|s/b|berhad)\s+(?:[A-Z0-9]*\d[A-Z0-9]*|[A-Z0-9]{5,8})\s?-\s?[A-Z0-9]{1,2}\s*$", r"\1", text)  # a misread reg no after the suffix ("BOZTZO-U")
    text = re.sub(r"\bS[O0]N(?=\.?\s?BHD\b)", "SDN", text)  # "SON BHD": a look-alike slip in a fixed suffix
    text = re.sub(r"(?i)(?<=[a-z)])\s*[-.]\s*(?=sdn\.?\s?bhd\b)", " ", text)  # "INTERNATIONAL-SDN BHD", "(SETIA ALAM).SDN"
    text = re.sub(r"(?<=[A-Za-z]{4})[.,]\s*(?=\()", " ", text)  # "ENTERPRISE.(SETIA": a stray stop (not "CO. (M)")
    text = re.sub(r"(?<![\w/])[5S]\s?/\s?[B8](?![\w/])", "S/B", text)  # "5/B", "5/8": Sendirian Berhad
    text = re.sub(r"\b(MR|MRS|MS|DR|ST)\.(?=[A-Z])", r"\1. ", text)  # "MR.D.I.Y.": OCR drops the space after a title
    cleaned = clean_text(_space_parentheses(text.replace("_", " ")))
    if text.rstrip().endswith(".") and _ends_with_dotted_form(cleaned + "."):
        cleaned += "."  # "Kowalski Sp. z o.o.", "Costa & Filhos, Lda.": the stop is part of the legal form
    return cleaned


def _ends_with_dotted_form(text: str) -> bool:
    """The text ends with a legal form that is written with a final stop ("o.o.", "S.n.c.", "Inc.")."""
    folded = fold(text)
    return any(
        p.endswith(".") and folded.endswith(p) and (len(folded) == len(p) or not folded[-len(p) - 1].isalnum())
        for p in phrases("company_suffix")
    )


def _space_parentheses(text: str) -> str:
    """"ENTERPRISE(SETIA ALAM)SDN BHD" -> "ENTERPRISE (SETIA ALAM) SDN BHD" (OCR drops these spaces)."""
    text = re.sub(r"(?<=[A-Za-z0-9.])\(", " (", text)
    return re.sub(r"\)(?=[A-Za-z0-9])", ") ", text)


_TRAILING_TITLE = re.compile(rf"\s+(?:tax\s+)?(?:{cue_pattern('document_title_words')})\s*$", re.IGNORECASE)
#: a company suffix that ends a name ("... SDN BHD", "... GmbH (Berlin)")
_MALAYSIAN_SUFFIX = re.compile(cue_pattern("malaysian_company_suffix"))
_FINAL_SUFFIX = re.compile(
    rf"({cue_pattern('malaysian_company_suffix')}|(?<![a-z0-9])(?:{cue_pattern('final_company_suffix')}))\.?\s*(\(|$)"
)  # legal forms of many countries, each a word of its own ("... Mesa" does not end in "SA"); Malaysian ones also glued


def _vendor_row_text(row: Any) -> str:
    """The name part of a header row: without titles, dates or ids printed on the same row."""
    return _TRAILING_TITLE.sub("", " ".join(s.text.strip() for s in name_segs(row)))


def _repeats_start(above: Any, row: Any) -> bool:
    """"LAVENDER" over "LAVENDER CONFECTIONERY & BAKERY S/B": a logo word, not the name's first line."""
    head = re.sub(r"[^a-z0-9 ]", "", above.folded).strip()
    return bool(head) and re.sub(r"[^a-z0-9 ]", "", row.folded).strip().startswith(head)


def _header_block(layout: PageLayout) -> list[Any]:
    first_page = layout.rows[0].page
    header = []
    for row in layout.rows:
        if row.page != first_page or len(header) >= 15:
            break
        if header and (find_dates(row.text) and len(header) >= 3 or is_table_header(row)):
            break
        header.append(row)
    return header


def header_block(layout: PageLayout) -> list[Any]:
    """The rows a vendor name is looked for in: the first page's top, up to a date or a table."""
    return _header_block(layout)


def row_scores(header: list[Any]) -> list[Optional[float]]:
    """The rules' evidence that each header row is the vendor name; None for rows that cannot be.

    Also a feature of the header-line classifier (:mod:`.header_features`), which learns when to
    trust it."""
    if not header:
        return []
    heights = sorted(r.height for r in header)
    median_h = heights[len(heights) // 2]
    return [_row_score(header, i, median_h) for i in range(len(header))]


def _after_a_party_block(header: list[Any], i: int) -> bool:
    """A postcode or a phone/e-mail line is printed below the top row and above row ``i``: the
    page's first party (the sender) is complete, so a further name is most likely the recipient's.
    (Address words alone do not count: "HARVEY NORMAN M'SIA PARADIGM MALL" is a branch name.)"""
    return any(POSTCODE.search(header[j].text) or has_keyword(header[j].folded, "contact") for j in range(1, i))


def _judged_text(row: Any) -> str:
    """The text a header row is judged on: its name part when the name is printed first and a
    date, title or id follows at the right ("ACME GmbH        Datum 12.03.2024"); otherwise the
    whole row ("INVOICE: 001-9822 ... DINE IN" is an order line, not a name)."""
    segs = name_segs(row)
    dropped = [s for s in row.segs if s not in segs]
    if not dropped or min(s.bbox[0] for s in dropped) < max(s.bbox[2] for s in segs):
        return row.text.strip()
    return " ".join(s.text.strip() for s in segs).strip()


def _row_score(header: list[Any], i: int, median_h: float) -> Optional[float]:
    row = header[i]
    folded = fold(text := _judged_text(row))
    name = clean_vendor(text)  # judged without the registration number printed beside it
    letters = sum(ch.isalpha() for ch in name)
    if letters < 3 or letters < 0.5 * len(name.replace(" ", "")):
        return None
    sender = sender_name(text)
    judged = sender if sender is not None else _PAREN.sub(" ", text)
    if REG_NO.match(text) or is_stop_line(PlainText(judged)):
        return None  # judged on the name: "DION REALTIES SDN BHD (CO. NO:20154-T)", "ACME GmbH · Street 1 · Town · USt-IdNr ..."
    if has_keyword(folded, "boilerplate") and find_keyword(folded, "company_suffix") is None:
        return None  # "THANK YOU", "TQ FOR SHOPPING WITH ...", "SHOPPING HOURS"
    score = 1.0
    if sender is not None:  # "ACME AG - Street 1 - 12345 Town": the name part of a sender line
        score += 0.3
    else:
        # a branch in parentheses ("(TAMAN DAYA) SDN BHD") is part of the name, not an address
        score -= 0.8 * address_score(PlainText(_PAREN.sub(" ", text)))
    if find_keyword(folded, "company_suffix") is not None:
        score += 1.0
    score += 0.8 * max(min(row.height / max(median_h, 1.0) - 1.0, 1.0), -0.5)
    score -= 0.12 * i
    if _after_a_party_block(header, i):
        score -= 1.0  # a second name with its own address below the sender's: the recipient
    if i + 1 < len(header) and REG_NO.match(header[i + 1].text.strip()):
        score += 1.0  # the legal name sits right above its registration number
    upper = sum(ch.isupper() for ch in text) / max(letters, 1)
    score += 0.6 * upper - 0.4
    if upper == 0:
        score -= 0.4  # printed names are rarely all lower-case (handwriting, noise)
    return score


def find_vendor(layout: PageLayout, anchor: Optional[tuple[int, float]] = None) -> Optional[tuple[ExtractedField, list[Any]]]:
    """The vendor name and its rows. ``anchor``: (header row index, confidence) chosen by the
    header-line classifier; without it the rules' best-scored row is the name's anchor."""
    header = _header_block(layout)
    if not header:
        return None
    best: tuple[float, int] | None = None
    if anchor is not None and 0 <= anchor[0] < len(header):
        best = (anchor[1], anchor[0])
    else:
        for i, score in enumerate(row_scores(header)):
            if score is not None and (best is None or score > best[0]):
                best = (score, i)
    if best is None:
        return None
    first = last = best[1]

    def joinable(row: Any, ref: Any) -> bool:
        gap = max(row.bbox[1] - ref.bbox[3], ref.bbox[1] - row.bbox[3])
        a, b = name_span(row), name_span(ref)
        if min(a[1], b[1]) <= max(a[0], b[0]):
            return False  # side by side ("Bl ance" scribbled at the top right), not one name on two lines
        # a place name in the name ("NANDO'S CHICKENLAND MALAYSIA" over "SDN BHD") is not an address
        placed = address_score(row) >= 1.0 and (not _suffix_only(ref) or street_or_postcode(row))
        return not (
            gap > 0.9 * max(ref.height, row.height) or is_stop_line(row) or placed
            or REG_NO.match(row.text.strip()) or sum(ch.isalpha() for ch in row.text) < 2
        )

    # multi-row names: "HOME MASTER HARDWARE &" + "ELECTRICAL", "PASARAYA BORONG PINTAR" + "SDN BHD"
    while first > 0 and last - first < 2 and joinable(header[first - 1], header[first]) and not _repeats_start(header[first - 1], header[first]) and (
        _suffix_only(header[first])
        or header[first - 1].text.rstrip().endswith(("&", "-"))
        or header[first].text.lstrip().startswith("&")
        or (
            _FINAL_SUFFIX.search(header[first].folded) is not None
            and _FINAL_SUFFIX.search(header[first - 1].folded) is None
            and len(re.findall(r"[a-z]{2,}", _PAREN.sub(" ", header[first].folded))) <= 3
            and header[first - 1].height >= 0.8 * header[first].height
            and not has_keyword(header[first - 1].folded, "boilerplate")
        )
    ):
        first -= 1
    while last + 1 < len(header) and last - first < 2 and joinable(header[last + 1], header[last]):
        cur, nxt = header[last], header[last + 1]
        has_final_suffix = _FINAL_SUFFIX.search(cur.folded)
        if cur.text.rstrip().endswith(("&", "-")) or _suffix_only(nxt) or (
            not has_final_suffix and _MALAYSIAN_SUFFIX.search(nxt.folded)
        ):
            last += 1
        else:
            break
    chosen = header[first : last + 1]
    raw = " ".join(_vendor_row_text(r) for r in chosen)
    if len(chosen) == 1 and sender_name(raw) is not None:
        raw = sender_name(raw) or raw
    text = clean_vendor(raw)
    if not text:
        return None
    bbox = union_bbox([r.bbox for r in chosen])
    conf = (anchor[1] if anchor is not None else 0.4 + 0.15 * max(min(best[0], 3.0), 0.0)) * ocr_confidence(chosen)
    field = Candidate(text, raw, chosen[0].segs[0], bbox=bbox).as_field(conf)
    return field, chosen
