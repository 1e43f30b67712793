"""Regenerate the shipped samples and their ground truth: ``python samples/generate.py``.

Writes ``receipt.png`` (a photographed-style till receipt), ``invoice.pdf`` (a digital
invoice with a text layer) and ``manifest.jsonl`` in the evaluation format, so the
evaluation harness can score the repo's own samples anywhere.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extraction import samplegen  # noqa: E402


def main() -> None:
    out = ROOT / "samples"
    receipt = samplegen.render_receipt()
    (out / "receipt.png").write_bytes(samplegen.image_bytes(receipt, "PNG", optimize=True))
    (out / "invoice.pdf").write_bytes(samplegen.write_pdf([samplegen.invoice_page()]))
    manifest = [
        {"id": "receipt", "file": "receipt.png", "fields": {**samplegen.RECEIPT_VALUES, "line_items": samplegen.RECEIPT_ITEMS}},
        {"id": "invoice", "file": "invoice.pdf", "fields": {**samplegen.INVOICE_VALUES, "line_items": samplegen.INVOICE_ITEMS}},
    ]
    (out / "manifest.jsonl").write_text("".join(json.dumps(row) + "\n" for row in manifest), encoding="utf-8")
    job = {"input": {"document": {"id": "receipt", "filename": "receipt.png", "base64": base64.b64encode((out / "receipt.png").read_bytes()).decode()}}}
    (ROOT / "test_input.json").write_text(json.dumps(job) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
