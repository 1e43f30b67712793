"""Property-based fuzzing of the normalisers, the input decoders and the document loader.

The default run is short and reproducible (derandomized). A longer run:
``FUZZ_EXAMPLES=20000 python -m pytest tests/test_fuzz.py -p no:randomly``.
"""

from __future__ import annotations

import os
import random
from datetime import date
from decimal import Decimal
from functools import lru_cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from extraction import samplegen
from extraction.settings.limits import Limits
from extraction.documents import load_document
from extraction.errors import DocumentError
from extraction.fields import FIELD_KINDS
from extraction.normalize.currency import detect_currency
from extraction.normalize.dates import parse_date
from extraction.normalize.fields import normalize_field
from extraction.normalize.numbers import format_amount, parse_amount
from extraction.schema import JobInput
from extraction.sources import decode_base64

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
FUZZ = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])

receipt_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60) | st.from_regex(
    r"(TOTAL|Montant TTC|Summe|RM|€|\$)? ?-?\(?[0-9]{1,3}([., ][0-9]{3})*([.,][0-9]{1,2})?\)? ?(€|EUR|RM)?", fullmatch=True
)


@FUZZ
@given(receipt_text)
def test_parse_amount_never_raises_and_formats_canonically(text):
    value = parse_amount(text)
    if value is not None:
        assert isinstance(value, Decimal)
        canonical = format_amount(value)
        assert parse_amount(canonical) == Decimal(canonical)


@FUZZ
@given(st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_amount_round_trip(value):
    assert parse_amount(format_amount(value)) == value


@FUZZ
@given(receipt_text, st.sampled_from(["auto", "DMY", "MDY", "YMD"]))
def test_parse_date_never_raises(text, order):
    parsed = parse_date(text, order=order)
    if parsed is not None:
        assert isinstance(parsed.value, date)


@FUZZ
@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)))
def test_iso_dates_round_trip(value):
    assert parse_date(value.isoformat()).value == value


@FUZZ
@given(receipt_text)
def test_detect_currency_gives_iso_codes(text):
    code = detect_currency(text)
    assert code is None or (len(code) == 3 and code.isupper())


@FUZZ
@given(st.sampled_from(sorted(FIELD_KINDS)), receipt_text)
def test_normalize_field_never_raises(field, text):
    normalize_field(field, text)


@FUZZ
@given(st.text(max_size=200) | st.binary(max_size=150).map(lambda b: b.decode("latin-1")))
def test_decode_base64_only_raises_document_errors(text):
    try:
        decode_base64(text, max_bytes=10_000)
    except DocumentError:
        pass


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


@FUZZ
@given(st.dictionaries(st.sampled_from(["document", "documents", "fields", "options", "queries", "output", "x"]), json_values, max_size=4))
def test_job_input_validation_only_raises_validation_errors(payload):
    from pydantic import ValidationError

    try:
        JobInput.model_validate(payload)
    except ValidationError:
        pass


@lru_cache(maxsize=1)
def _seed_corpus() -> list[bytes]:
    """Real files of every format, from the shipped generators."""
    receipt = samplegen.render_receipt(scale=0.4)
    small = Image.new("RGB", (40, 30), "white")
    return [
        samplegen.image_bytes(receipt, "PNG"),
        samplegen.image_bytes(receipt, "JPEG", quality=70),
        samplegen.image_bytes(small, "TIFF"),
        samplegen.image_bytes(small, "WEBP"),
        samplegen.image_bytes(small, "GIF"),
        samplegen.image_bytes(small, "BMP"),
        samplegen.write_pdf([samplegen.invoice_page()]),
        samplegen.write_pdf([small]),
        *_iso_media_seeds(receipt),
    ]


def _iso_media_seeds(image: Image.Image) -> list[bytes]:
    """HEIC (written with pillow-heif) and AVIF (Pillow's own codec), where available."""
    seeds = []
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
        seeds.append(samplegen.image_bytes(image, "HEIF", quality=60))
    except ImportError:
        pass
    from PIL import features

    if features.check("avif"):
        seeds.append(samplegen.image_bytes(image, "AVIF", quality=60))
    return seeds


def _mutate(data: bytes, rng: random.Random) -> bytes:
    buffer = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        choice = rng.random()
        if choice < 0.4 and buffer:
            buffer[rng.randrange(len(buffer))] = rng.randrange(256)
        elif choice < 0.6:
            buffer = buffer[: rng.randrange(len(buffer) + 1)]
        elif choice < 0.8:
            at = rng.randrange(len(buffer) + 1)
            buffer[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        elif buffer:
            at = rng.randrange(len(buffer))
            del buffer[at : at + rng.randint(1, 64)]
    return bytes(buffer)


@FUZZ
@given(st.integers(min_value=0, max_value=9), st.integers(min_value=0, max_value=2**32))
def test_loader_on_mutated_files_only_raises_document_errors(seed_index, seed):
    corpus = _seed_corpus()
    data = _mutate(corpus[seed_index % len(corpus)], random.Random(seed))
    try:
        loaded = load_document(data, limits=Limits(max_page_pixels=4_000_000), dpi=72)
    except DocumentError:
        return
    for page in loaded.pages:
        image = getattr(page, "image", None)
        if image is not None:
            assert image.mode == "RGB" and image.size[0] > 0


@pytest.mark.parametrize("text", ["100000000000000000000000000", "9" * 40 + ".99", "RM 1" + "0" * 30])
def test_absurdly_long_numbers_are_not_amounts(text):
    """Found by the long fuzz run: 27-digit numbers crashed formatting (decimal precision)."""
    assert parse_amount(text) is None
    assert normalize_field("total", text) is None
    assert format_amount(Decimal("1" + "0" * 40)) == "1" + "0" * 40 + ".00"


def test_tiff_mutation_found_by_fuzzing_is_a_clean_error():
    """Found by the long fuzz run: a damaged TIFF made Pillow raise TypeError/KeyError."""
    data = _mutate(_seed_corpus()[2], random.Random(884250809))
    with pytest.raises(DocumentError) as info:
        load_document(data, limits=Limits(max_page_pixels=4_000_000), dpi=72)
    assert info.value.code.value == "corrupt_document"
