"""Fixtures every test may use: generated documents and a pipeline on fake engines.

The fakes and paths themselves live in :mod:`tests.support`.
"""

from __future__ import annotations

import pytest
from PIL import Image

from extraction import samplegen
from tests.support.engines import FakeExtractor, FakeOcr


@pytest.fixture
def fake_pipeline():
    from extraction.settings.limits import Limits
    from extraction.pipeline import Pipeline

    return Pipeline(FakeOcr(), FakeExtractor(), Limits(extract_batch_size=4))


@pytest.fixture(scope="session")
def receipt_image() -> Image.Image:
    return samplegen.render_receipt()


@pytest.fixture(scope="session")
def invoice_pdf() -> bytes:
    return samplegen.write_pdf([samplegen.invoice_page()])
