"""Every limit turns into its own error code for the document that crosses it; the rest of the job goes on."""

from __future__ import annotations

import base64
import threading
import time

from PIL import Image

from extraction import samplegen
from extraction.settings.limits import Limits
from extraction.errors import ErrorCode
from extraction.pipeline import Pipeline
from tests.support.engines import FakeExtractor, FakeOcr


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class SlowOnWideImagesOcr(FakeOcr):
    """Hangs (for a while) on images wider than 1000 px: stands in for a page the engine chokes on."""

    def recognize(self, image):
        if image.size[0] > 1000:
            time.sleep(3)
        return super().recognize(image)


def test_a_page_over_the_time_budget_times_out_and_the_job_goes_on():
    pipeline = Pipeline(SlowOnWideImagesOcr(), FakeExtractor(), Limits(document_timeout_s=0.5))
    wide = samplegen.image_bytes(Image.new("RGB", (1200, 300), "white"), "PNG")
    small = samplegen.image_bytes(Image.new("RGB", (300, 300), "white"), "PNG")
    started = time.perf_counter()
    output = pipeline.run_job({"documents": [{"id": "slow", "base64": _b64(wide)}, {"id": "fast", "base64": _b64(small)}]})
    elapsed = time.perf_counter() - started
    slow, fast = output["documents"]
    assert slow["error"]["code"] == ErrorCode.TIMEOUT.value
    assert fast["status"] == "ok"
    assert elapsed < 2.5  # the job did not wait for the stuck page


def test_one_document_per_limit_in_one_batch(receipt_image):
    limits = Limits(max_document_bytes=60_000, max_pages=2, max_page_pixels=2_000_000, max_job_bytes=10_000_000)
    pipeline = Pipeline(FakeOcr(), FakeExtractor(), limits)
    three_pages = samplegen.write_pdf([samplegen.invoice_page()] * 3)
    huge_pixels = samplegen.image_bytes(Image.new("L", (2000, 1500), 255), "PNG")
    too_big = samplegen.image_bytes(Image.effect_noise((300, 300), 80).convert("RGB"), "PNG")
    good = samplegen.write_pdf([samplegen.invoice_page()])
    output = pipeline.run_job(
        {
            "documents": [
                {"id": "pages", "base64": _b64(three_pages)},
                {"id": "pixels", "base64": _b64(huge_pixels)},
                {"id": "bytes", "base64": _b64(too_big)},
                {"id": "good", "base64": _b64(good)},
            ]
        }
    )
    codes = {d["id"]: (d["error"] or {}).get("code", "ok") for d in output["documents"]}
    assert codes == {"pages": "too_many_pages", "pixels": "too_many_pixels", "bytes": "too_large", "good": "ok"}


def test_text_over_the_character_cap_is_truncated_with_a_warning(invoice_pdf):
    pipeline = Pipeline(FakeOcr(), FakeExtractor(), Limits(max_text_chars=120))
    document = pipeline.run_job({"document": {"base64": _b64(invoice_pdf)}, "options": {"return_ocr": True}})["documents"][0]
    assert document["status"] == "ok"
    kept = sum(len(line["text"]) for page in document["ocr"] for line in page["lines"])
    assert 0 < kept <= 120
    assert any("truncated at 120 characters" in w for w in document["warnings"])


def test_concurrent_jobs_on_pdfs_do_not_crash(receipt_image):
    pipeline = Pipeline(FakeOcr(), FakeExtractor(), Limits())
    mixed = _b64(samplegen.write_pdf([samplegen.invoice_page(), receipt_image]))
    errors: list[BaseException] = []
    statuses: list[str] = []

    def work() -> None:
        try:
            for _ in range(5):
                samplegen.write_pdf([samplegen.invoice_page()])
                output = pipeline.run_job({"documents": [{"base64": mixed}, {"base64": _b64(b"%PDF-1.4 broken")}]})
                statuses.extend(d["status"] for d in output["documents"])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert statuses.count("ok") == 20 and statuses.count("error") == 20
