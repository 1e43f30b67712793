"""Synthetic invoices and receipts with known truth, for tests, training and scoring.

``python -m builder.synth invoices --n 200 --out DIR --seed 1`` (or ``receipts``) writes the
documents and a ``manifest.jsonl`` in the evaluation format, so that
``python -m extraction.evaluate DIR`` scores them. Content (:mod:`.content`) is drawn first,
then laid out (:mod:`.invoice_layout`, :mod:`.receipt_layout`) on a shared drawing model
(:mod:`.page`) and rendered as a digital PDF (:mod:`.render_pdf`) or a scanned-looking image
(:mod:`.render_image`). Everything follows from the seed. Synthetic scores say whether the
mechanisms work on layouts and languages nobody tuned for; they never replace real held-out
documents.
"""
