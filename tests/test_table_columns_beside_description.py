"""A column printed just left of the description (a unit of measure, an article number) is not
part of the description, also when its title shares one header segment with the description's;
a description wider than its centred title stays whole."""

from __future__ import annotations

from extraction.extractors.base import ExtractionRequest
from extraction.extractors.layout.extractor import RulesExtractor
from extraction.layout import DocumentText, Line, PageText, Word, sort_reading_order


def _line(y: float, *cells: tuple[str, float]) -> Line:
    """One text line from words at given left edges (12 px per character)."""
    words = [Word(text, (x, y, x + 12 * len(text), y + 16)) for text, x in cells]
    return Line.from_words(words)


def _row(y: float, *blocks: list[tuple[str, float]]) -> list[Line]:
    """A table row as a text layer gives it: one line per block of words printed together."""
    return [_line(y, *block) for block in blocks]


def _items(rows: list[list[Line]]) -> list[tuple]:
    lines = [_line(20, ("Cahaya", 20), ("Bengkel", 110))] + [line for row in rows for line in row] + [_line(400, ("JUMLAH", 600), ("262.40", 760))]
    document = DocumentText([PageText(1, 900, 500, sort_reading_order(lines), "text_layer")])
    [result] = RulesExtractor().extract([ExtractionRequest("t", document, frozenset({"line_items", "total"}))])
    return [(i.description, i.quantity, i.unit_price, i.amount) for i in result.line_items]


def test_a_unit_column_left_of_the_description_is_left_out() -> None:
    # the unit title and the description title in one header segment, as "Unit  Nama barang"
    header = _row(100, [("Unit", 20), ("Nama", 90), ("barang", 150)], [("BILANGAN", 420)], [("Harga/unit", 560)], [("Jumlah", 740)])
    rows = [
        _row(130, [("kotak", 10), ("Kartrij", 90), ("toner", 182), ("hitam", 250)], [("1", 440), ("6", 500), ("%", 516)], [("168.00", 580)], [("168.00", 760)]),
        _row(160, [("m", 58), ("Kertas", 90), ("A4,", 170), ("kotak", 214), ("5", 282), ("rim", 302)], [("2", 440), ("6", 500), ("%", 516)], [("47.20", 580)], [("94.40", 760)]),
    ]
    assert _items([header, *rows]) == [
        ("Kartrij toner hitam", "1", "168.00", "168.00"),
        ("Kertas A4, kotak 5 rim", "2", "47.20", "94.40"),
    ]


def test_a_description_wider_than_its_centred_title_stays_whole() -> None:
    header = _row(100, [("Désignation", 232)], [("Qté", 440)], [("Prix", 560)], [("Montant", 740)])
    rows = [  # "avec" starts where the title does, after an ordinary word gap
        _row(130, [("Bureau", 60), ("d'angle", 140), ("avec", 232), ("siège", 288)], [("1", 440)], [("168,00", 560)], [("168,00", 760)]),
        _row(160, [("Armoire", 60), ("avec", 160), ("portes", 222)], [("2", 440)], [("47,20", 560)], [("94,40", 760)]),
    ]
    assert _items([header, *rows]) == [
        ("Bureau d'angle avec siège", "1", "168.00", "168.00"),
        ("Armoire avec portes", "2", "47.20", "94.40"),
    ]


def test_two_titles_in_one_header_segment_each_keep_their_own_column() -> None:
    # "Aant.  BTW-tarief" printed as one segment: the tax-rate title must not cover the quantity column
    header = _row(100, [("Omschr.", 20)], [("Stuksprijs", 300)], [("Aant.", 440), ("BTW-tarief", 520)], [("Regeltotaal", 700)])
    rows = [
        _row(130, [("Balpennen", 20), ("(doos)", 140)], [("11,00", 360)], [("12", 476)], [("21", 560), ("%", 590)], [("132,00", 760)]),
        _row(160, [("Ordner", 20), ("breed", 110)], [("2,19", 372)], [("3", 488)], [("21", 560), ("%", 590)], [("6,57", 772)]),
    ]
    assert _items([header, *rows]) == [("Balpennen (doos)", "12", "11.00", "132.00"), ("Ordner breed", "3", "2.19", "6.57")]
