"""The CPU extractor (engine name ``rules``): layout-aware rules over OCR lines or PDF text layers.

``extractor`` orchestrates; each field family has its module (``amounts``, ``dates``,
``identifiers``, ``vendor``, ``address``, ``tables``), over the visual rows of ``rows`` and the
multilingual label data of ``lexicon`` (``data/lexicon.json``). Kept free of imports so that the
normalisers can use the lexicon without loading the extractor.
"""
