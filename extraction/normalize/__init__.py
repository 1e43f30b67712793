"""Normalisers, lexicons and arithmetic checks shared by every extractor.

Each module has one job: ``numbers`` (amounts in any locale), ``dates``, ``currency``,
``normalize`` (field kind -> canonical value), ``validation`` (arithmetic checks) and
``lexicon`` (multilingual keyword data kept in ``lexicon.json``).
"""
