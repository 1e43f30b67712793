"""The vendor's address: the rows after the vendor name (or above it), or the rest of a
one-line sender.

Rows are kept while they carry street and postcode cues (:mod:`.header_lines`), in the
vendor's column of a two-column header, up to the first contact, tax-id or transactional row.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from extraction.extractors.layout.header_lines import (
    POSTCODE,
    SENDER_SEPARATORS,
    PlainText,
    address_score,
    is_id_line,
    is_stop_line,
    is_title,
    name_span,
    ocr_confidence,
    sender_name,
    street_or_postcode,
)
from extraction.extractors.layout.labels import Candidate, money_in
from extraction.extractors.layout.lexicon import cue_pattern, find_keyword, has_keyword
from extraction.extractors.layout.rows import PageLayout, Row
from extraction.extractors.layout.table_header import is_table_header
from extraction.layout import union_bbox
from extraction.normalize.dates import find_dates
from extraction.normalize.fields import clean_text
from extraction.normalize.times import find_times
from extraction.schema import ExtractedField


_PHONE = re.compile(r"(?:\+?\d[\d\s\-()]{7,}\d)")


def find_sender_address(vendor_rows: list[Any]) -> Optional[ExtractedField]:
    """The address part of a one-line sender ("Müller & Söhne GmbH · Lindenstraße 3 · 20095
    Hamburg"): the parts after the name up to the first that is no address (a tax id, a phone)."""
    if len(vendor_rows) != 1:
        return None
    row = vendor_rows[0]
    for seg in row.segs:
        if sender_name(seg.text) is None:
            continue
        kept = []
        for part in SENDER_SEPARATORS.split(seg.text.strip())[1:]:
            if address_score(PlainText(part)) == 0 and not re.search(r"\d", part) or is_stop_line(PlainText(part)):
                break
            kept.append(part.strip())
        if kept and sum(address_score(PlainText(p)) for p in kept) >= 1.0:
            return Candidate(clean_text(", ".join(kept)), seg.text.strip(), seg).as_field(0.5 * seg.line.confidence)
    return None


_TRAILING_TAX_ID = re.compile(r"[\s,]*\(?\s*(?:gst|sst|vat|tax)\s*(?:id|reg|no)\b.*$", re.IGNORECASE)


def _row_text_without_ids(row: Any) -> str:
    """A row's text minus pieces that are registration ids ("Co-REG:860671-D" beside the street)."""
    if len(row.segs) == 1:
        return row.text.strip()
    kept = [s.text.strip() for s in row.segs if not is_id_line(s)]
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
        if (is_id_line(row) and not (picked and _STORE_BRANCH.fullmatch(row.text.strip()))) or (not picked and (dated or address_score(row) == 0)):
            if picked or skipped >= 4 or is_title(row):
                break
            skipped += 1
            continue
        if is_stop_line(row) or _PHONE.fullmatch(row.text.strip()):
            head = _before_contact(row)
            if head:  # "81750 Johor Bahru, Johor. Tel No.: 07-387 3322", "Skolegade 207 · 5000 Odense C · Tlf. ..."
                tails[row.index] = head
                picked.append(row)
            break
        number_label = find_keyword(row.folded, "invoice_number")
        if number_label is not None and len(number_label.group(0)) >= 5:
            break  # "Invoice No: ..." : the document body has begun
        if picked and _NUMBER_WORD.search(row.folded) and address_score(row) < 1.0:
            break  # "PREPAY CHIT NUMBER": a document number's label, not a street
        if not picked and _is_company_line(row):
            skipped += 1
            continue  # "AA PHARMACY" / "SUBANG HEALTHCARE SDN BHD": the company behind the brand
        if picked and (money_in(full_row.text) or is_table_header(full_row)):
            break  # the transactional part has begun
        if picked and row.top - picked[-1].bottom > 2.0 * max(row.height, picked[-1].height):
            break  # a blank band: the address block has ended
        if picked and address_score(row) == 0 and len(row.text.split()) > 5:
            break
        if picked and address_score(row) < 1.0 and any(has_keyword(row.folded, g) for g in ("boilerplate", "receipt_words", "invoice_words")):
            break  # "THANK YOU", "CASHIER: ...", "PREPAY CHIT ... NOT A RECEIPT"
        picked.append(row)
        if _ends_with_country(row):
            break  # "56000 Kuala Lumpur, Malaysia": what follows is a branch name or contacts
    if len(picked) >= 2 and not re.search(r"\d", picked[0].text) and _HOUSE_NUMBER_START.match(picked[1].folded):
        picked = picked[1:]  # "IKEA Cheras" / "No 2A Jalan Cochrane": the outlet name before the street
    while picked and address_score(picked[-1]) == 0 and not _BRANCH_NAME.fullmatch(picked[-1].text.strip()):
        picked.pop()
    if not picked or sum(address_score(r) for r in picked) < 1.0:
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
    conf = (base_confidence + 0.1 * min(sum(address_score(r) for r in picked), 4)) * ocr_confidence(picked)
    return Candidate(text, "\n".join(r.text for r in picked), picked[0].segs[0], bbox=union_bbox([r.bbox for r in picked])).as_field(conf)


def _name_column(vendor_rows: list[Any]) -> tuple[float, float]:
    spans = [name_span(r) for r in vendor_rows]
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
    contacts = 0  # contact lines printed between the address and the name ("CARELINE : 1800 88 1231")
    for row in reversed(layout.rows[: vendor_rows[0].index]):
        if row.page != vendor_rows[0].page:
            break
        if not picked and contacts < _CONTACTS_BETWEEN and _is_contact_line(row):
            contacts += 1
            continue
        if address_score(row) == 0 or is_stop_line(row) or is_id_line(row):
            break
        picked.insert(0, row)
    if len(picked) >= 2 and not re.search(r"\d", picked[0].text) and _HOUSE_NUMBER_START.match(picked[1].folded):
        picked = picked[1:]  # the outlet's name over its street, as below the name
    if picked and not any(r.page == picked[0].page and not is_title(r) for r in layout.rows[: picked[0].index]):
        picked = picked[1:]  # a page opens with a name, not an address ("BHPetrol Subang Airport")
    if len(picked) < 2 or sum(address_score(r) for r in picked) < 2.0 or not any(POSTCODE.search(r.text) for r in picked):
        return None
    return _address_field(clean_text(" ".join(_row_text_without_ids(r) for r in picked)), picked, base_confidence=0.3)


#: a full stop between a number or a long word and the next word of an address is a comma the
#: OCR misread ("AIR PANAS. SETAPAK", "NO. 47. JALAN"); abbreviations ("NO.", "P.T.", "ST.") stay.
#: So is one before a postcode ("PERMAS JAYA. 81750", "BATU 5. 51200") and one joining a number to
#: the next word ("81750.MASAI"): addresses print a comma there (in the tune side's SROIE labels,
#: 158 commas against 2 full stops before a postcode, 62 against none between a number and a word).
#: A colon after a number or a unit code and before a word ("NO 1: JLN") is one too: a comma's tail
#: lost on a tilted or small line reads as a colon's lower dot (tune labels: 369 commas after such
#: a token before a word, no colon; colons follow only "NO")
_STOP_BEFORE_WORD = re.compile(r"(?<=\S)\.(?=\s+[A-Za-z]{3,}|\s*\d{4,6}\b)|(?<=\d)\.(?=[A-Za-z]{3,})|(?<=\d):(?=\s+[A-Za-z]{3,})")
#: what may stand before such a comma: a house or postcode number ("5", "14/11", "81750"), a unit
#: code with a digit ("U3/G", "115G", "G-13": tune labels print 146 commas and no full stop after
#: one before a word) or a word
_COMMA_TOKEN = re.compile(r"\d(?:[\d/-]{0,6}\d)?|(?=[A-Za-z/-]*\d)[A-Za-z\d][A-Za-z\d/-]{1,9}|[A-Za-z]{4,}")


def repair_misread_commas(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        token = text[: match.start()].rsplit(" ", 1)[-1]
        if not _COMMA_TOKEN.fullmatch(token):
            return match.group(0)
        if token[-1].isdigit() and text[match.end() : match.end() + 1].isdigit():
            return match.group(0)  # "5.51200": a decimal point between digits, not a misread comma
        return ","

    return _STOP_BEFORE_WORD.sub(replace, text)


def drop_unpaired_quote(text: str) -> str:
    """'BERKELEY "41150 KLANG': a lone double quote in an OCR address is a speck read as a mark."""
    if text.count('"') != 1:
        return text
    return re.sub(r'\s*"\s*', " ", text).strip()


#: a place or branch name closing an address block: "SETAPAK", "1320-TMN BATU", "(MR DIY TESCO TERBAU)"
_BRANCH_NAME = re.compile(r"\(?(?:\d{3,5} ?- ?)?[A-Z][A-Za-z .'&-]+\)?\.?")

_NUMBER_WORD = re.compile(rf"\b(?:{cue_pattern('number_words')})\b")


def _is_company_line(row: Any) -> bool:
    """A company name ("... SDN BHD") with no street or postcode on it."""
    return find_keyword(row.folded, "company_suffix") is not None and not street_or_postcode(row)


#: a store code and branch name under the address ("1076-IJOK"), not a registration number
_STORE_BRANCH = re.compile(r"\d{3,5} ?- ?[A-Z]{3,}(?: [A-Z]{2,}){0,3}")

_HOUSE_NUMBER_START = re.compile(rf"\s*(?:(?:{cue_pattern('house_number_words')})\b\.?\s*:?\s*[a-z]?\d|\d+[a-z]?\b)")


def _ends_with_country(row: Any) -> bool:
    match = find_keyword(row.folded.rstrip(" .,;"), "country")
    return match is not None and match.end() >= len(row.folded.rstrip(" .,;")) - 1


def _before_contact(row: Any) -> Optional[str]:
    """The address part of a row that goes on with a phone or e-mail, when it is one."""
    match = find_keyword(row.folded, "contact")
    if match is None or match.start() == 0:
        return None
    head = SENDER_SEPARATORS.sub(" ", row.text[: match.start()].rstrip(" ,;:-|·•–"))
    if address_score(PlainText(head)) < 1.0:
        return None
    return head


#: how many contact lines may sit between an address printed above the name and the name
_CONTACTS_BETWEEN = 3
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:[. ][\w-]+)+")


def _is_contact_line(row: Any) -> bool:
    """A phone, fax or e-mail line without a street or postcode ("CARELINE : 1800 88 1231",
    "CARE@SHOP.COM.MY"): such lines may part an address printed above the shop's legal name
    from that name."""
    if street_or_postcode(row):
        return False
    return has_keyword(row.folded, "contact") or bool(_EMAIL.search(row.text) or _PHONE.search(row.text))
