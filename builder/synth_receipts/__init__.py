"""Synthetic till receipts as an OCR engine would read them: text lines with boxes and known truth.

``python -m builder.synth_receipts --n 200 --out DIR [--seed S] [--locales ...]`` draws receipts
with :mod:`builder.synth` (content and the thermal-roll layout: narrow 58/80 mm rolls, long item
lists, cash rounding, tendered and change, card payments, eleven languages) and writes each one's
text runs as SROIE-style line boxes (``boxes/<id>.txt``: ``x1,y1,...,x4,y4,text``) with a
``manifest.jsonl`` of the true fields. Nothing is rendered, so a few hundred receipts take
seconds, and ``python -m extraction.evaluate DIR --ocr-source dataset`` scores them on the OCR
path (receipts read by OCR, not from a PDF text layer). They are for tests and training; real
held-out receipts decide.
"""
