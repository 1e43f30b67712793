"""Vendor name and address: who sent the document and where they are.

Why a module of its own: the header of a receipt or invoice is read with its own evidence
(type size, company suffixes, registration numbers, street and postcode cues, the vendor's
column in a two-column header), separate from the amounts and dates below it. See
docs/rules.md for the decisions and the measurements behind them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Optional

from extraction.layout import union_bbox
from extraction.normalize.dates import find_dates
from extraction.extractors.layout.lexicon import find_keyword, fold, has_keyword, phrases
from extraction.normalize.fields import clean_text
from extraction.extractors.layout.rows import PageLayout, Row, Seg
from extraction.normalize.times import find_times
from extraction.schema import ExtractedField
from extraction.extractors.layout.labels import Candidate, classify, money_in


#: five digits may follow a comma ("SS21/34,47400 PJ": a thousands group has three digits)
_POSTCODE = re.compile(
    r"(?:(?<![\d.])\d{5}|(?<![\d.,])(?:\d{4}\s?[A-Z]{2}|[A-Z]\d[A-Z]\s?\d[A-Z]\d|\d{3}\s?\d{3}|\d{2}-\d{3}))(?![\d.,])"
    r"|(?<![A-Za-z0-9])[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}(?![A-Za-z0-9])"  # UK: "EC2V 8AU", "LS1 4AP"
    r"|(?<![\d-])\d{4}-\d{3}(?![\d-])"  # Portugal: "1100-053"
)
_PHONE = re.compile(r"(?:\+?\d[\d\s\-()]{7,}\d)")
_REG_NO = re.compile(r"^\(?\s*(?:(?:co\.?|company)?\s*(?:reg\.?)?\s*no\.?\s*:?)?\s*[\dA-Z]{4,}-[A-Z0-9]\s*\)?$", re.IGNORECASE)


def _is_stop_line(seg: Any) -> bool:
    """A line that ends the header block: contact, tax id, dates, amounts, document titles."""
    text = seg.folded
    if has_keyword(text, "contact") or has_keyword(text, "vendor_tax_id"):
        return True
    if find_dates(seg.text) or find_times(seg.text):
        return True
    if classify(seg)[0] in ("total", "subtotal", "tax", "paid", "change") and money_in(seg.text):
        return True
    if is_title(seg):
        return True
    return False


def is_title(seg: Any) -> bool:
    text = seg.folded.strip(" :.-*")
    compact = text.replace(" ", "")  # "TAXINVOICE": OCR drops spaces in large type
    return compact in _compact_titles() or bool(re.fullmatch(r"(tax)?invoice|receipt|facture|rechnung|factura", compact))


@lru_cache(maxsize=1)
def _compact_titles() -> frozenset[str]:
    return frozenset(p.replace(" ", "") for p in phrases("doc_title"))


#: a street named by a compound word and its house number (German, Dutch, Nordic): "Hauptstraße 12"
_COMPOUND_STREET = re.compile(
    r"(?<![a-z])[a-z]{2,}(?:stra(?:ss|ß)e|str\.|weg|platz|allee|gasse|damm|ufer|straat|laan|plein|gracht|kade|singel|steeg|gade|vej|gatan|gata|vagen)\s*\d+[a-z]?\b"
)
#: a street word that leads the line, then a name and a number ("Via Roma 5", "C/ Mayor 3")
_STREET_FIRST = re.compile(r"\s*(?:via|v\.le|p\.za|c/|avda\.?|av\.)\s+[a-z][a-z' .]+\s\d+[a-z]?\b")


def _address_score(seg: Any) -> float:
    text = seg.text
    score = 0.0
    if _POSTCODE.search(text):
        score += 1.0
    if has_keyword(seg.folded, "address"):
        score += 1.0
    if re.search(r"\d", text) and "," in text:
        score += 0.5
    if re.search(r"\b(no|lot|unit|blk|block)\.?\s*\d", seg.folded) or re.search(r"#\d{1,2}-\d{2,4}\b", text):
        score += 0.7  # "NO. 12", "LOT 5", "#01-01" (a unit number)
    if _COMPOUND_STREET.search(seg.folded) or _STREET_FIRST.match(seg.folded):
        score += 1.0  # "Hauptstraße 12", "Kalverstraat 10", "Via Roma 5"
    if text.rstrip().endswith(","):
        score += 0.4
    return score


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
_TRAILING_PAREN_ID = re.compile(r"\s*\((?:[^()]|\([^()]*\))*\d{4,}(?:[^()]|\([^()]*\))*\)\s*$")
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
    return clean_text(_space_parentheses(text.replace("_", " ")))


def _space_parentheses(text: str) -> str:
    """"ENTERPRISE(SETIA ALAM)SDN BHD" -> "ENTERPRISE (SETIA ALAM) SDN BHD" (OCR drops these spaces)."""
    text = re.sub(r"(?<=[A-Za-z0-9.])\(", " (", text)
    return re.sub(r"\)(?=[A-Za-z0-9])", ") ", text)


_TRAILING_TITLE = re.compile(r"\s+(?:tax\s+)?(?:invoice|receipt|facture|rechnung|factura|fattura|factuur|fatura)\s*$", re.IGNORECASE)


def _vendor_row_text(row: Any) -> str:
    """The name part of a header row: without titles, dates or ids printed on the same row."""
    return _TRAILING_TITLE.sub("", " ".join(s.text.strip() for s in _name_segs(row)))


def _repeats_start(above: Any, row: Any) -> bool:
    """"LAVENDER" over "LAVENDER CONFECTIONERY & BAKERY S/B": a logo word, not the name's first line."""
    head = re.sub(r"[^a-z0-9 ]", "", above.folded).strip()
    return bool(head) and re.sub(r"[^a-z0-9 ]", "", row.folded).strip().startswith(head)


def _name_span(row: Any) -> tuple[float, float]:
    """Left and right edge of the name part of a header row."""
    segs = _name_segs(row)
    return min(s.bbox[0] for s in segs), max(s.bbox[2] for s in segs)


def _name_segs(row: Any) -> list[Seg]:
    """The segments of a header row that can be a name: not titles, dates or ids, and only those
    printed together around the tallest one (a number far to the side is not part of it)."""
    segs = [s for s in row.segs if not (is_title(s) or _is_stop_line(s) or _is_id_line(s))] or list(row.segs)
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


def _header_rows(layout: PageLayout) -> list[Any]:
    first_page = layout.rows[0].page
    header = []
    for row in layout.rows:
        if row.page != first_page or len(header) >= 15:
            break
        if header and (find_dates(row.text) and len(header) >= 3 or _table_header(row)):
            break
        header.append(row)
    return header


def header_row_indexes(layout: PageLayout) -> set[int]:
    """Rows that are table headers, computed once per document."""
    cached = getattr(layout, "_header_rows", None)
    if cached is None:
        cached = set()
        for row in layout.rows:
            if _table_header(row):
                cached.add(row.index)
                # a title wrapped onto the next lines ("Price" / "excl. VAT") has no digits
                for nxt in layout.rows[row.index + 1 : row.index + 3]:
                    if nxt.page != row.page or any(ch.isdigit() for ch in nxt.text) or nxt.top - row.bottom > 2.5 * layout.line_height:
                        break
                    cached.add(nxt.index)
        layout._header_rows = cached  # type: ignore[attr-defined]
    return cached


def _table_header(row: Any) -> bool:
    from extraction.extractors.layout.tables import _header_columns

    return bool(_header_columns(row))


def find_vendor(layout: PageLayout) -> Optional[tuple[ExtractedField, list[Any]]]:
    header = _header_rows(layout)
    if not header:
        return None
    heights = sorted(r.height for r in header)
    median_h = heights[len(heights) // 2]
    best: tuple[float, int] | None = None
    for i, row in enumerate(header):
        text = row.text.strip()
        name = clean_vendor(text)  # judged without the registration number printed beside it
        letters = sum(ch.isalpha() for ch in name)
        if letters < 3 or letters < 0.5 * len(name.replace(" ", "")):
            continue
        sender = _sender_name(text)
        judged = sender if sender is not None else _PAREN.sub(" ", text)
        if _REG_NO.match(text) or _is_stop_line(_Text(judged)):
            continue  # judged on the name: "DION REALTIES SDN BHD (CO. NO:20154-T)", "ACME GmbH · Street 1 · Town · USt-IdNr ..."
        if has_keyword(row.folded, "boilerplate") and find_keyword(row.folded, "company_suffix") is None:
            continue  # "THANK YOU", "TQ FOR SHOPPING WITH ...", "SHOPPING HOURS"
        score = 1.0
        if sender is not None:  # "ACME AG - Street 1 - 12345 Town": the name part of a sender line
            score += 0.3
        else:
            # a branch in parentheses ("(TAMAN DAYA) SDN BHD") is part of the name, not an address
            score -= 0.8 * _address_score(_Text(_PAREN.sub(" ", row.text)))
        if find_keyword(row.folded, "company_suffix") is not None:
            score += 1.0
        score += 0.8 * max(min(row.height / max(median_h, 1.0) - 1.0, 1.0), -0.5)
        score -= 0.12 * i
        if i + 1 < len(header) and _REG_NO.match(header[i + 1].text.strip()):
            score += 1.0  # the legal name sits right above its registration number
        upper = sum(ch.isupper() for ch in text) / max(letters, 1)
        score += 0.6 * upper - 0.4
        if upper == 0:
            score -= 0.4  # printed names are rarely all lower-case (handwriting, noise)
        if best is None or score > best[0]:
            best = (score, i)
    if best is None:
        return None
    first = last = best[1]

    def joinable(row: Any, ref: Any) -> bool:
        gap = max(row.bbox[1] - ref.bbox[3], ref.bbox[1] - row.bbox[3])
        a, b = _name_span(row), _name_span(ref)
        if min(a[1], b[1]) <= max(a[0], b[0]):
            return False  # side by side ("Bl ance" scribbled at the top right), not one name on two lines
        # a place name in the name ("NANDO'S CHICKENLAND MALAYSIA" over "SDN BHD") is not an address
        placed = _address_score(row) >= 1.0 and (not _suffix_only(ref) or _street_or_postcode(row))
        return not (
            gap > 0.9 * max(ref.height, row.height) or _is_stop_line(row) or placed
            or _REG_NO.match(row.text.strip()) or sum(ch.isalpha() for ch in row.text) < 2
        )

    # multi-row names: "HOME MASTER HARDWARE &" + "ELECTRICAL", "PASARAYA BORONG PINTAR" + "SDN BHD"
    final_suffix = re.compile(r"(sdn\.? ?bhd|bhd|s/b|berhad|ltd|limited|inc|llc|gmbh|b\.?v|sarl|s\.?a)\.?\s*(\(|$)")
    while first > 0 and last - first < 2 and joinable(header[first - 1], header[first]) and not _repeats_start(header[first - 1], header[first]) and (
        _suffix_only(header[first])
        or header[first - 1].text.rstrip().endswith(("&", "-"))
        or header[first].text.lstrip().startswith("&")
        or (
            final_suffix.search(header[first].folded) is not None
            and final_suffix.search(header[first - 1].folded) is None
            and len(re.findall(r"[a-z]{2,}", _PAREN.sub(" ", header[first].folded))) <= 3
            and header[first - 1].height >= 0.8 * header[first].height
            and not has_keyword(header[first - 1].folded, "boilerplate")
        )
    ):
        first -= 1
    while last + 1 < len(header) and last - first < 2 and joinable(header[last + 1], header[last]):
        cur, nxt = header[last], header[last + 1]
        has_final_suffix = re.search(r"(sdn\.? ?bhd|bhd|s/b|berhad|ltd|limited|inc|llc|gmbh|b\.?v|sarl|s\.?a)\.?\s*(\(|$)", cur.folded)
        if cur.text.rstrip().endswith(("&", "-")) or _suffix_only(nxt) or (
            not has_final_suffix and re.search(r"(sdn\.? ?bhd|bhd|s/b|berhad)\.?", nxt.folded)
        ):
            last += 1
        else:
            break
    chosen = header[first : last + 1]
    raw = " ".join(_vendor_row_text(r) for r in chosen)
    if len(chosen) == 1 and _sender_name(raw) is not None:
        raw = _sender_name(raw) or raw
    text = clean_vendor(raw)
    if not text:
        return None
    bbox = union_bbox([r.bbox for r in chosen])
    conf = (0.4 + 0.15 * max(min(best[0], 3.0), 0.0)) * _ocr_confidence(chosen)
    field = Candidate(text, raw, chosen[0].segs[0], best[0], bbox=bbox).as_field(conf)
    return field, chosen


_SENDER_SEPARATORS = re.compile(r"\s+[-|·•–]\s+")


@dataclass
class _Text:
    text: str

    @property
    def folded(self) -> str:
        return fold(self.text)


def _sender_name(text: str) -> Optional[str]:
    """The company part of a one-line sender address ("QualityHosting AG - Uferweg 40-42 - D-63571 Gelnhausen")."""
    parts = _SENDER_SEPARATORS.split(text.strip())
    if len(parts) < 2 or sum(ch.isalpha() for ch in parts[0]) < 3:
        return None
    if _address_score(_Text(parts[0])) >= 1.0:
        return None
    if sum(_address_score(_Text(p)) for p in parts[1:]) < 1.0:
        return None
    return parts[0].strip()


def find_sender_address(vendor_rows: list[Any]) -> Optional[ExtractedField]:
    """The address part of a one-line sender ("Müller & Söhne GmbH · Lindenstraße 3 · 20095
    Hamburg"): the parts after the name up to the first that is no address (a tax id, a phone)."""
    if len(vendor_rows) != 1:
        return None
    row = vendor_rows[0]
    for seg in row.segs:
        if _sender_name(seg.text) is None:
            continue
        kept = []
        for part in _SENDER_SEPARATORS.split(seg.text.strip())[1:]:
            if _address_score(_Text(part)) == 0 and not re.search(r"\d", part) or _is_stop_line(_Text(part)):
                break
            kept.append(part.strip())
        if kept and sum(_address_score(_Text(p)) for p in kept) >= 1.0:
            return Candidate(clean_text(", ".join(kept)), seg.text.strip(), seg, 0).as_field(0.5 * seg.line.confidence)
    return None


_SHORT_ID_LINE = re.compile(r"^[\W_]*(?:[a-z.\- ]{0,20}[:#]?\s*)?[a-z0-9\-/ ]*\d{3,}[a-z0-9\-/ ]*[\W_]*$")


_ID_TOKEN_RE = re.compile(r"(?<![\w-])(?:\d{6,}[a-z]?|\d{4,}\s?-\s?[a-z0-9]{1,3})(?![\w])")
_STREET_RE = re.compile(r"(?<![a-z])(?:jalan|jln|lot|taman|tmn|lorong|road|rd|street|rue|strasse|str|calle|via|rua|no\.?\s?\d)(?![a-z])")


def _is_id_line(row: Any) -> bool:
    """Registration / tax-id / branch-code lines printed around the address ("(CO.REG :860671-D)", "Roc: 1026984-X")."""
    text = row.folded.strip()
    if _REG_NO.match(row.text.strip()) or has_keyword(text, "vendor_tax_id"):
        return True
    token = _ID_TOKEN_RE.search(text)
    if token is not None and re.fullmatch(r"\d{4}-\d{3}", token.group(0).strip()):
        token = None  # "1100-053 Lisboa": a Portuguese postcode, not a registration number
    postcode = (
        token is not None and "-" not in text[token.start() : token.end() + 1] and has_keyword(text, "address") and _POSTCODE.search(row.text)
    )
    if token is not None and not _STREET_RE.search(text) and not postcode:  # "Singapore 648886" is a town and postcode
        words = re.findall(r"[a-z]{2,}", text[: token.start()] + " " + text[token.end() :])
        if len(words) <= 4:
            return True
    return bool(_SHORT_ID_LINE.match(text)) and _address_score(row) < 1.0 and not _POSTCODE.search(row.text)


_TRAILING_TAX_ID = re.compile(r"[\s,]*\(?\s*(?:gst|sst|vat|tax)\s*(?:id|reg|no)\b.*$", re.IGNORECASE)


def _row_text_without_ids(row: Any) -> str:
    """A row's text minus pieces that are registration ids ("Co-REG:860671-D" beside the street)."""
    if len(row.segs) == 1:
        return row.text.strip()
    kept = [s.text.strip() for s in row.segs if not _is_id_line(s)]
    return " ".join(kept) if kept else row.text.strip()


def find_address(layout: PageLayout, vendor_rows: list[Any]) -> Optional[ExtractedField]:
    start = vendor_rows[-1].index + 1
    picked: list[Any] = []
    tails: dict[int, str] = {}  # row index -> the address part of a row that goes on with contacts
    skipped = 0
    column = _name_column(vendor_rows)
    for full_row in layout.rows[start : start + 12]:
        if full_row.page != vendor_rows[0].page:
            break
        row = _column_view(full_row, column)
        if row is None:
            continue  # only the other header column ("Invoice #: ...") on this row
        dated = bool(find_dates(row.text) or find_times(row.text))
        if (_is_id_line(row) and not (picked and _STORE_BRANCH.fullmatch(row.text.strip()))) or (not picked and (dated or _address_score(row) == 0)):
            if picked or skipped >= 4 or is_title(row):
                break
            skipped += 1
            continue
        if _is_stop_line(row) or _PHONE.fullmatch(row.text.strip()):
            head = _before_contact(row)
            if picked and head:  # "81750 Johor Bahru, Johor. Tel No.: 07-387 3322"
                tails[row.index] = head
                picked.append(row)
            break
        number_label = find_keyword(row.folded, "invoice_number")
        if number_label is not None and len(number_label.group(0)) >= 5:
            break  # "Invoice No: ..." : the document body has begun
        if picked and _NUMBER_WORD.search(row.folded) and _address_score(row) < 1.0:
            break  # "PREPAY CHIT NUMBER": a document number's label, not a street
        if not picked and _is_company_line(row):
            skipped += 1
            continue  # "AA PHARMACY" / "SUBANG HEALTHCARE SDN BHD": the company behind the brand
        if picked and (money_in(full_row.text) or _table_header(full_row)):
            break  # the transactional part has begun
        if picked and row.top - picked[-1].bottom > 2.0 * max(row.height, picked[-1].height):
            break  # a blank band: the address block has ended
        if picked and _address_score(row) == 0 and len(row.text.split()) > 5:
            break
        if picked and _address_score(row) < 1.0 and any(has_keyword(row.folded, g) for g in ("boilerplate", "receipt_words", "invoice_words")):
            break  # "THANK YOU", "CASHIER: ...", "PREPAY CHIT ... NOT A RECEIPT"
        picked.append(row)
        if _ends_with_country(row):
            break  # "56000 Kuala Lumpur, Malaysia": what follows is a branch name or contacts
    if len(picked) >= 2 and not re.search(r"\d", picked[0].text) and _HOUSE_NUMBER_START.match(picked[1].folded):
        picked = picked[1:]  # "IKEA Cheras" / "No 2A Jalan Cochrane": the outlet name before the street
    while picked and _address_score(picked[-1]) == 0 and not _BRANCH_NAME.fullmatch(picked[-1].text.strip()):
        picked.pop()
    if not picked or sum(_address_score(r) for r in picked) < 1.0:
        return None
    text = clean_text(" ".join(tails.get(r.index) or _row_text_without_ids(r) for r in picked))
    text = _TRAILING_TAX_ID.sub("", text).strip()
    last_text = tails.get(picked[-1].index) or picked[-1].text.strip()
    if last_text.endswith(".") and not text.endswith("."):
        text += "."
    return _address_field(text, picked, base_confidence=0.4)


def _address_field(text: str, picked: list[Any], base_confidence: float) -> ExtractedField:
    """The address field over the picked rows: more street/postcode cues, more confidence, as far
    as the OCR was sure of the rows."""
    conf = (base_confidence + 0.1 * min(sum(_address_score(r) for r in picked), 4)) * _ocr_confidence(picked)
    return Candidate(text, "\n".join(r.text for r in picked), picked[0].segs[0], 0, bbox=union_bbox([r.bbox for r in picked])).as_field(conf)


def _name_column(vendor_rows: list[Any]) -> tuple[float, float]:
    spans = [_name_span(r) for r in vendor_rows]
    return min(a for a, _ in spans), max(b for _, b in spans)


def _column_view(row: Row, column: tuple[float, float]) -> Optional[Row]:
    """The part of a row under the vendor's name: a two-column header keeps the invoice's own
    data ("Invoice #", "Date") beside the sender's address."""
    kept = [s for s in row.segs if min(s.bbox[2], column[1]) > max(s.bbox[0], column[0])]
    if len(kept) == len(row.segs):
        return row
    return Row(page=row.page, segs=kept, index=row.index) if kept else None


def find_address_above(layout: PageLayout, vendor_rows: list[Any]) -> Optional[ExtractedField]:
    """An address printed above the vendor name, when none follows it.

    Fuel-station receipts head with the station and its address, then the operating company
    ("BHPETROL PERMAS JAYA 2 / LOT PTD 101051 / ... / ESJAY FUEL ENTERPRISE").
    """
    picked: list[Any] = []
    for row in reversed(layout.rows[: vendor_rows[0].index]):
        if row.page != vendor_rows[0].page or _address_score(row) == 0 or _is_stop_line(row) or _is_id_line(row):
            break
        picked.insert(0, row)
    if picked and not any(r.page == picked[0].page and not is_title(r) for r in layout.rows[: picked[0].index]):
        picked = picked[1:]  # a page opens with a name, not an address ("BHPetrol Subang Airport")
    if len(picked) < 2 or sum(_address_score(r) for r in picked) < 2.0 or not any(_POSTCODE.search(r.text) for r in picked):
        return None
    return _address_field(clean_text(" ".join(_row_text_without_ids(r) for r in picked)), picked, base_confidence=0.3)


#: a full stop between a number or a long word and the next word of an address is a comma the
#: OCR misread ("AIR PANAS. SETAPAK", "NO. 47. JALAN"); abbreviations ("NO.", "P.T.", "ST.") stay
_STOP_BEFORE_WORD = re.compile(r"(?<=\S)\.(?=\s+[A-Za-z]{3,})")


def repair_misread_commas(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        token = text[: match.start()].rsplit(" ", 1)[-1]
        return "," if re.fullmatch(r"\d(?:[\d/-]{0,6}\d)?|[A-Za-z]{4,}", token) else "."

    return _STOP_BEFORE_WORD.sub(replace, text)


def drop_unpaired_quote(text: str) -> str:
    """'BERKELEY "41150 KLANG': a lone double quote in an OCR address is a speck read as a mark."""
    if text.count('"') != 1:
        return text
    return re.sub(r'\s*"\s*', " ", text).strip()


#: a place or branch name closing an address block: "SETAPAK", "1320-TMN BATU", "(MR DIY TESCO TERBAU)"
_BRANCH_NAME = re.compile(r"\(?(?:\d{3,5} ?- ?)?[A-Z][A-Za-z .'&-]+\)?\.?")


_NUMBER_WORD = re.compile(r"\b(?:number|nombre|numero|nummer)\b")


def _is_company_line(row: Any) -> bool:
    """A company name ("... SDN BHD") with no street or postcode on it."""
    return find_keyword(row.folded, "company_suffix") is not None and not _street_or_postcode(row)


def _street_or_postcode(row: Any) -> bool:
    """A street or postcode on the row, not only a place name ("... MALAYSIA", "SUBANG HEALTHCARE")."""
    return bool(_POSTCODE.search(row.text) or _STREET_RE.search(row.folded))


#: a store code and branch name under the address ("1076-IJOK"), not a registration number
_STORE_BRANCH = re.compile(r"\d{3,5} ?- ?[A-Z]{3,}(?: [A-Z]{2,}){0,3}")


_HOUSE_NUMBER_START = re.compile(r"\s*(?:(?:no|lot|unit|blk|block)\b\.?\s*:?\s*[a-z]?\d|\d+[a-z]?\b)")


def _ends_with_country(row: Any) -> bool:
    match = find_keyword(row.folded.rstrip(" .,;"), "country")
    return match is not None and match.end() >= len(row.folded.rstrip(" .,;")) - 1


def _before_contact(row: Any) -> Optional[str]:
    """The address part of a row that goes on with a phone or e-mail, when it is one."""
    match = find_keyword(row.folded, "contact")
    if match is None or match.start() == 0:
        return None
    head = row.text[: match.start()].rstrip(" ,;:-|")
    if _address_score(_Text(head)) < 1.0:
        return None
    return head


def _ocr_confidence(rows: list[Any]) -> float:
    """How sure the OCR was of these rows' text: a name read letter by letter is only as good as that."""
    scores = [s.line.confidence for r in rows for s in r.segs]
    return min(scores) if scores else 1.0
