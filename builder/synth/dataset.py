"""Writing a synthetic dataset: documents plus a manifest.jsonl the evaluation reads."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

from builder.synth.content import Content, draw_content
from builder.synth.fonts import FontSet, font_set
from builder.synth.invoice_layout import layout_invoice
from builder.synth.locales import get_locale, locale_names
from builder.synth.receipt_layout import layout_receipt
from builder.synth.render_image import write_scan
from builder.synth.render_pdf import write_pdf

KINDS = {"invoices": "invoice", "receipts": "receipt"}
DEFAULT_SCAN_SHARE = {"invoice": 0.3, "receipt": 0.7}


@dataclass(frozen=True)
class Options:
    kind: str  # invoice | receipt
    count: int
    out: Path
    seed: int = 1
    locales: Optional[Sequence[str]] = None
    scan_share: Optional[float] = None
    dpi: float = 0.0  # 0: 150-200 dpi for invoices, 200-250 for receipts, drawn per document


def _printable(content: Content, fonts: FontSet) -> None:
    """Without Unicode fonts, fold the content itself so that the truth matches what prints."""
    if fonts.unicode:
        return
    p = fonts.printable
    for party in filter(None, (content.vendor, content.customer)):
        party.name = p(party.name)
        party.address = [p(line) for line in party.address]
    for item in content.items:
        item.description = [p(line) for line in item.description]


def make_document(options: Options, index: int, fonts: FontSet) -> dict[str, Any]:
    """Draw, lay out and render document ``index``; returns its manifest row."""
    rng = random.Random(f"{options.seed}/{options.kind}/{index}")
    names = list(options.locales or locale_names())
    locale = get_locale(rng.choice(names))
    content = draw_content(options.kind, locale, rng)
    _printable(content, fonts)
    pages, layout = (layout_invoice if options.kind == "invoice" else layout_receipt)(content, fonts, rng)
    share = DEFAULT_SCAN_SHARE[options.kind] if options.scan_share is None else options.scan_share
    doc_id = f"{options.kind}-{index:04d}"
    base = options.out / "files" / doc_id
    if rng.random() < share:
        dpi = options.dpi or (rng.choice([150, 170, 200]) if options.kind == "invoice" else rng.choice([200, 230, 250]))
        path = write_scan(pages, base, fonts, rng, dpi=dpi, receipt=options.kind == "receipt")
        fmt = "scan"
    else:
        path = base.with_suffix(".pdf")
        write_pdf(pages, path, fonts, producer=f"builder.synth {options.kind} {layout}")
        fmt = "pdf"
    return {
        "id": doc_id,
        "file": str(path.relative_to(options.out)),
        "fields": content.truth(),
        "layout": layout,
        "language": locale.language,
        "locale": locale.key,
        "format": fmt,
        "pages": len(pages),
        "source": f"synth {fmt}",
    }


def write_dataset(options: Options) -> Path:
    """Write ``count`` documents and ``manifest.jsonl`` under ``out``; returns the manifest path."""
    fonts = font_set()
    (options.out / "files").mkdir(parents=True, exist_ok=True)
    rows = [make_document(options, index, fonts) for index in range(options.count)]
    manifest = options.out / "manifest.jsonl"
    manifest.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return manifest
