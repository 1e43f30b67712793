"""Receipt and invoice field extraction: documents -> words with boxes -> fields -> checked JSON."""

__version__ = "0.1.0"
