"""Pages as a digital PDF with a text layer (fpdf2, the font set's TrueType faces embedded).

fpdf2 is the ``synth`` extra (``pip install '.[synth]'``); nothing at run time needs it. The
PDF's producer names the generator and the layout, so ``--group-by source`` can tell
synthetic layouts apart.
"""

from __future__ import annotations

from pathlib import Path

from builder.synth.fonts import FAMILIES, FontSet
from builder.synth.page import Page, Rule, Shade, Text

_CORE = {"sans": "helvetica", "serif": "times", "condensed": "helvetica", "mono": "courier"}


def write_pdf(pages: list[Page], path: Path, fonts: FontSet, *, producer: str) -> None:
    try:
        from fpdf import FPDF
    except ImportError as exc:  # the generator's optional dependency
        raise SystemExit("the synthetic-document generator needs fpdf2: pip install 'receipt-extraction-worker[synth]' (or pip install fpdf2)") from exc
    pdf = FPDF(unit="pt", format=(pages[0].width, pages[0].height))
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_producer(producer)
    pdf.set_creator(producer)
    names: dict[tuple[str, bool], tuple[str, str]] = {}
    used = {(m.family, m.bold) for page in pages for m in page.marks if isinstance(m, Text)}
    for family in FAMILIES:
        for bold in (False, True):
            if (family, bold) not in used:
                continue  # embedding a face costs time and bytes
            source = fonts.path(family, bold)
            if source is None:
                names[(family, bold)] = (_CORE[family], "B" if bold else "")
                continue
            name = f"synth-{family}{'-bold' if bold else ''}"
            style = ""
            pdf.add_font(name, style, str(source))
            names[(family, bold)] = (name, style)
    for page in pages:
        pdf.add_page(format=(page.width, page.height))
        for mark in page.marks:
            if isinstance(mark, Shade):
                pdf.set_fill_color(mark.gray)
                pdf.rect(mark.x, mark.y, mark.w, mark.h, style="F")
            elif isinstance(mark, Rule):
                pdf.set_line_width(mark.width)
                pdf.line(mark.x1, mark.y1, mark.x2, mark.y2)
            elif isinstance(mark, Text) and mark.text:
                name, style = names[(mark.family, mark.bold)]
                pdf.set_font(name, style, mark.size)
                width = pdf.get_string_width(mark.text)
                x = mark.x - width if mark.align == "right" else mark.x - width / 2 if mark.align == "center" else mark.x
                pdf.text(x, mark.y, mark.text)
    pdf.output(str(path))
