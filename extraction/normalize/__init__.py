"""Normalisers and arithmetic checks shared by every extractor (the CPU layout rules and TILT).

Each module has one job: ``numbers`` (amounts in any locale), ``dates``, ``times``,
``currency``, ``fields`` (a field's kind -> its canonical value, the one entry point) and
``validation`` (do the numbers of a document add up). Words in many languages (month names,
payment methods, document types) come from the lexicon data of
:mod:`extraction.extractors.layout.lexicon`.
"""
