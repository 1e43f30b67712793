"""Page preparation: pages turned upright, levelled, flattened and enlarged before OCR."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from extraction import samplegen
from extraction.settings.limits import Limits
from extraction.documents import PageImage
from extraction.layout import Line
from extraction.pageprep import PagePreparer
from extraction.pageprep.geometry import measure
from extraction.pageprep.ink import character_blobs
from extraction.pageprep.transform import PageTransform, apply, level_lines, quarter_turn
from extraction.pipeline import Pipeline
from extraction.settings import load_settings
from extraction.settings.pageprep import PagePrepSettings

from tests.conftest import FakeExtractor, FakeOcr

PAPER = (250, 248, 240)


@pytest.fixture(scope="module")
def preparer() -> PagePreparer:
    return PagePreparer()


def _turned(image: Image.Image, clockwise: int) -> Image.Image:
    return image.rotate(-clockwise, expand=True)


@pytest.mark.parametrize("clockwise", [0, 90, 180, 270])
def test_a_turned_receipt_is_turned_back_upright(preparer, receipt_image, clockwise):
    page = _turned(receipt_image, clockwise)
    plan = preparer.plan(page)
    assert plan.rotation == (360 - clockwise) % 360
    upright = apply(page, plan.transform, plan.fill)
    assert upright.size == receipt_image.size
    difference = np.abs(np.asarray(upright, dtype=int) - np.asarray(receipt_image, dtype=int))
    assert difference.max() == 0  # a quarter turn is exact: the very pixels of the upright page


def test_an_upright_page_is_sent_to_ocr_unchanged(preparer, receipt_image):
    seen: list[Image.Image] = []
    settings = PagePrepSettings(upscale=False)
    read = PagePreparer(settings).read(PageImage(1, receipt_image), lambda page: seen.append(page.image) or [])
    assert seen == [receipt_image] and seen[0] is receipt_image
    assert read.correction.rotation == 0 and read.correction.deskew == 0 and read.correction.transform is None


@pytest.mark.parametrize("degrees", [4.0, -3.0])
def test_a_tilted_page_is_levelled(preparer, receipt_image, degrees):
    tilted = receipt_image.rotate(degrees, expand=True, resample=Image.Resampling.BICUBIC, fillcolor=PAPER)
    plan = preparer.plan(tilted)
    assert plan.deskew == pytest.approx(-degrees, abs=0.5)
    levelled = apply(tilted, plan.transform, plan.fill)
    assert abs(measure(character_blobs(levelled)).skew) <= 0.4


def test_a_slight_tilt_is_left_alone(preparer, receipt_image):
    tilted = receipt_image.rotate(0.4, expand=True, resample=Image.Resampling.BICUBIC, fillcolor=PAPER)
    assert preparer.plan(tilted).deskew == 0.0


def _photographed_at_an_angle(image: Image.Image) -> Image.Image:
    import cv2

    width, height = image.size
    margin = 60
    source = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    target = np.float32([[margin + 55, margin], [margin + width - 55, margin + 10], [margin + width, margin + height], [margin, margin + height]])
    matrix = cv2.getPerspectiveTransform(source, target)
    warped = cv2.warpPerspective(np.asarray(image), matrix, (width + 2 * margin, height + 2 * margin), borderValue=(80, 70, 65))
    return Image.fromarray(warped)


def test_a_page_photographed_at_an_angle_is_flattened(preparer, receipt_image):
    photo = _photographed_at_an_angle(receipt_image)
    plan = preparer.plan(photo)
    assert plan.flattened and plan.rotation == 0
    flat = apply(photo, plan.transform, plan.fill)
    assert flat.width == pytest.approx(receipt_image.width, rel=0.05)
    assert flat.height == pytest.approx(receipt_image.height, rel=0.05)
    # Corners of the paper land on the corners of the flattened page.
    corners = plan.transform.map_points(np.array([[115.0, 60.0], [60.0 + receipt_image.width, 60.0 + receipt_image.height]]))
    assert np.abs(corners - [[0, 0], list(flat.size)]).max() < 12


def test_a_scan_filling_the_picture_is_not_flattened(preparer, receipt_image):
    assert not preparer.plan(receipt_image).flattened


def test_small_text_is_enlarged_for_ocr_and_boxes_come_back_at_page_size(receipt_image):
    small = receipt_image.resize((receipt_image.width // 2, receipt_image.height // 2), Image.Resampling.LANCZOS)
    sizes: list[tuple[int, int]] = []

    def recognize(page: PageImage) -> list[Line]:
        sizes.append(page.image.size)
        width, height = page.image.size
        return [Line.from_text("TOTAL 15.90", (0.0, 0.0, float(width), float(height)), 0.95)]

    read = PagePreparer(PagePrepSettings(upscale=True)).read(PageImage(1, small), recognize)
    assert read.correction.ocr_scale > 1.5
    assert sizes[0][0] > small.width * 1.5
    assert read.lines[0].bbox == pytest.approx((0.0, 0.0, small.width, small.height), abs=1.0)
    assert read.page.image.size == small.size


def test_a_blank_page_is_left_alone(preparer):
    blank = Image.new("RGB", (400, 600), (255, 255, 255))
    plan = preparer.plan(blank)
    assert plan.transform.is_identity and plan.geometry is None


@pytest.mark.parametrize(
    "image",
    [
        Image.new("RGB", (1, 1), "white"),
        Image.new("RGB", (3, 700), "black"),
        Image.new("RGB", (900, 2), (128, 128, 128)),
        Image.fromarray(np.random.default_rng(0).integers(0, 256, (300, 200, 3), dtype=np.uint8)),
        Image.fromarray((np.indices((400, 400)).sum(axis=0) % 16 < 2).astype(np.uint8) * 255).convert("RGB"),
    ],
    ids=["one-pixel", "thin-black", "flat-strip", "noise", "diagonal-stripes"],
)
def test_odd_images_are_read_without_failing(image):
    read = PagePreparer().read(PageImage(1, image), lambda page: [])
    assert read.page.image.width > 0 and read.correction is not None


def test_a_failing_preparation_reads_the_page_as_received(receipt_image, monkeypatch):
    preparer = PagePreparer()
    monkeypatch.setattr(preparer, "plan", lambda image: 1 / 0)
    read = preparer.read(PageImage(1, receipt_image), lambda page: [Line.from_text("TOTAL 1.00", (0, 0, 90, 20), 0.9)])
    assert read.page.image is receipt_image and read.lines[0].text == "TOTAL 1.00"


def test_a_close_vote_reads_both_ways_and_keeps_the_more_confident_reading(receipt_image, monkeypatch):
    from extraction.pageprep import orientation

    # The line vote says "upright, but not sure" about a page that is upside down.
    monkeypatch.setattr(orientation, "decide", lambda *args, **kwargs: orientation.Orientation(rotation=0, upside_down=0.45, lines=8))
    settings = PagePrepSettings(upscale=False)
    upside_down = _turned(receipt_image, 180)
    images: list[Image.Image] = []

    def recognize(page: PageImage) -> list[Line]:
        images.append(page.image)
        upright = np.array_equal(np.asarray(page.image), np.asarray(receipt_image))
        return [Line.from_text("TOTAL 15.90", (0, 0, 100, 20), 0.95 if upright else 0.3)]

    read = PagePreparer(settings).read(PageImage(1, upside_down), recognize)
    assert len(images) == 2
    assert read.correction.rotation == 180 and read.lines[0].confidence == 0.95


def test_the_switch_turns_preparation_off(receipt_image):
    settings = load_settings(PagePrepSettings, {"PAGE_PREP": "false"})
    page = _turned(receipt_image, 90)
    seen: list[Image.Image] = []
    read = PagePreparer(settings).read(PageImage(1, page), lambda p: seen.append(p.image) or [])
    assert seen == [page] and read.correction.rotation == 0 and read.page.image is page


def test_each_step_has_its_own_switch(receipt_image):
    off = PagePreparer(load_settings(PagePrepSettings, {"PAGE_ORIENTATION": "false"}))
    assert off.plan(_turned(receipt_image, 180)).rotation == 0
    tilted = receipt_image.rotate(4, expand=True, resample=Image.Resampling.BICUBIC, fillcolor=PAPER)
    assert PagePreparer(load_settings(PagePrepSettings, {"PAGE_DESKEW": "false"})).plan(tilted).deskew == 0.0


def test_a_bad_setting_names_its_variable():
    from extraction.settings import SettingsError

    with pytest.raises(SettingsError, match="PAGE_FLIP_THRESHOLD"):
        load_settings(PagePrepSettings, {"PAGE_FLIP_THRESHOLD": "2"})


def test_transforms_compose_and_map_points():
    turn, size = quarter_turn(300, 200, 90)
    transform = PageTransform.identity(300, 200).then(turn, size)
    assert size == (200, 300)
    assert transform.map_points(np.array([[0.0, 0.0], [300.0, 200.0]])).tolist() == [[200.0, 0.0], [0.0, 300.0]]
    level, level_size = level_lines(200, 300, 10.0)
    grown = transform.then(level, level_size)
    mapped = grown.map_points(np.array([[0.0, 0.0], [300.0, 0.0], [300.0, 200.0], [0.0, 200.0]]))
    assert mapped.min() >= -1e-6 and (mapped.max(axis=0) <= np.array(level_size) + 1e-6).all()


# --------------------------------------------------------------------------- in the pipeline


class _Garbled(FakeOcr):
    """Reads every page, but with the low confidence of a smeared photo."""

    def recognize(self, image: Image.Image) -> list[Line]:
        self.images.append(image)
        return [Line.from_text("T0TA1 1Z.S0", (10, 10, 150, 30), 0.35)]


def test_the_pipeline_reports_the_rotation_it_applied(receipt_image):
    ocr = FakeOcr()
    pipeline = Pipeline(ocr, FakeExtractor(), Limits())
    data = samplegen.image_bytes(_turned(receipt_image, 90), "PNG")
    result = pipeline.extract_bytes(data)
    assert result.status == "ok"
    correction = result.page_corrections[0]
    assert correction.page == 1 and correction.rotation == 270 and correction.readable
    assert ocr.images[0].size[1] > ocr.images[0].size[0]  # OCR saw the page upright (taller than wide)
    assert "page_prep" in result.timings_ms


def test_an_unreadable_page_is_reported_and_its_fields_are_not_confident(receipt_image):
    pipeline = Pipeline(_Garbled(), FakeExtractor(), Limits())
    result = pipeline.extract_bytes(samplegen.image_bytes(receipt_image, "PNG"))
    assert result.page_corrections[0].readable is False
    assert any("could not be read reliably" in w for w in result.warnings)
    assert result.fields["vendor_name"].confidence <= 0.3


def test_text_read_up_and_down_is_reported_even_when_confident(receipt_image):
    settings = load_settings(PagePrepSettings, {"PAGE_PREP": "false"})
    tall = [Line.from_text(text, (10.0 + 40 * i, 10.0, 40.0 + 40 * i, 400.0), 0.98) for i, text in enumerate(["TOTAL 15.90", "CASH 20.00"])]
    read = PagePreparer(settings).read(PageImage(1, receipt_image), lambda page: tall)
    assert read.correction.readable is False and "turned by 90 degrees" in read.warnings[0]


def test_a_readable_page_keeps_its_confidences(receipt_image):
    result = Pipeline(FakeOcr(), FakeExtractor(), Limits()).extract_bytes(samplegen.image_bytes(receipt_image, "PNG"))
    assert result.page_corrections[0].readable and not result.warnings
    assert result.fields["vendor_name"].confidence == 0.5


def _upright_reader(receipt_image: Image.Image, images: list[Image.Image]):
    """A fake OCR that reads the upright receipt confidently and anything else badly."""

    def recognize(page: PageImage) -> list[Line]:
        images.append(page.image)
        upright = page.image.size == receipt_image.size and np.array_equal(np.asarray(page.image), np.asarray(receipt_image))
        return [Line.from_text("TOTAL 15.90", (0, 0, 100, 20), 0.95 if upright else 0.4)]

    return recognize


def test_a_page_too_faint_to_decide_is_turned_when_it_reads_badly(receipt_image, monkeypatch):
    from extraction.pageprep import preparer as preparer_module

    # The analysis finds too few characters to tell which way up the page is.
    monkeypatch.setattr(preparer_module, "measure", lambda blobs: None)
    images: list[Image.Image] = []
    read = PagePreparer(PagePrepSettings(upscale=False)).read(PageImage(1, _turned(receipt_image, 180)), _upright_reader(receipt_image, images))
    assert len(images) == 2  # as received, then the other way up
    assert read.correction.rotation == 180 and read.lines[0].confidence == 0.95 and read.correction.readable


def test_a_page_too_faint_to_decide_that_reads_well_is_read_once(receipt_image, monkeypatch):
    from extraction.pageprep import preparer as preparer_module

    monkeypatch.setattr(preparer_module, "measure", lambda blobs: None)
    images: list[Image.Image] = []
    read = PagePreparer(PagePrepSettings(upscale=False)).read(PageImage(1, receipt_image), _upright_reader(receipt_image, images))
    assert len(images) == 1 and read.correction.rotation == 0


def test_an_undecided_page_read_up_and_down_tries_both_quarter_turns(receipt_image, monkeypatch):
    from extraction.pageprep import preparer as preparer_module

    monkeypatch.setattr(preparer_module, "measure", lambda blobs: None)
    images: list[Image.Image] = []
    upright_reader = _upright_reader(receipt_image, images)

    def recognize(page: PageImage) -> list[Line]:
        lines = upright_reader(page)
        if len(images) == 1:  # as received: the page still sideways, read as tall lines
            return [Line.from_text("TOTAL 15.90", (0, 0, 20, 100), 0.97)]
        return lines

    sideways = _turned(receipt_image, 90)
    read = PagePreparer(PagePrepSettings(upscale=False)).read(PageImage(1, sideways), recognize)
    assert len(images) == 3 and read.correction.rotation == 270 and read.lines[0].confidence == 0.95


@pytest.mark.parametrize("degrees", [5.0, -5.0])
def test_a_levelled_page_is_trimmed_to_its_text(receipt_image, degrees):
    tilted = receipt_image.rotate(degrees, expand=True, resample=Image.Resampling.BICUBIC, fillcolor=PAPER)
    plan = PagePreparer(PagePrepSettings(trim=True)).plan(tilted)
    levelled = apply(tilted, plan.transform, plan.fill)
    untrimmed = PagePreparer(PagePrepSettings(trim=False)).plan(tilted).transform.size
    # Not larger than the tilted photo (levelling without trimming grows the canvas again) ...
    assert levelled.width * levelled.height < 0.95 * untrimmed[0] * untrimmed[1]
    assert levelled.width <= tilted.width and levelled.height <= tilted.height
    # ... and every character is still on it, away from the edges.
    ink = np.asarray(levelled.convert("L")) < 128
    rows, columns = np.nonzero(ink)
    original_rows, original_columns = np.nonzero(np.asarray(receipt_image.convert("L")) < 128)
    assert rows.max() - rows.min() >= 0.97 * (original_rows.max() - original_rows.min())
    assert columns.max() - columns.min() >= 0.97 * (original_columns.max() - original_columns.min())
    assert rows.min() > 0 and columns.min() > 0 and rows.max() < levelled.height - 1 and columns.max() < levelled.width - 1


def test_trimming_is_off_by_default_and_can_be_turned_off(receipt_image):
    assert PagePrepSettings().trim is False
    tilted = receipt_image.rotate(5.0, expand=True, resample=Image.Resampling.BICUBIC, fillcolor=PAPER)
    plan = PagePreparer(PagePrepSettings(trim=False)).plan(tilted)
    assert plan.transform.size[0] > tilted.width  # the canvas grown by the turn, wedges and all


def test_a_levelled_page_is_read_from_a_copy_at_the_working_scale(receipt_image):
    """``PAGE_LEVEL_SCALE``: the OCR copy of a levelled page is made from the received pixels in
    one resampling at the working scale (not enlarged from the levelled page), and its boxes
    come back in the levelled page's pixels."""
    tilted = receipt_image.rotate(4.0, expand=True, resample=Image.Resampling.BICUBIC, fillcolor=PAPER)
    seen: list[Image.Image] = []

    def recognize(page: PageImage) -> list[Line]:
        seen.append(page.image)
        width, height = page.image.size
        return [Line.from_text("TOTAL 15.90", (0.0, 0.0, float(width), float(height)), 0.95)]

    settings = PagePrepSettings(level_scale=2.0, level_max_side=100000, recheck_band=0.0, read_received=False)
    preparer = PagePreparer(settings)
    read = preparer.read(PageImage(1, tilted), recognize)
    levelled = read.page.image
    assert read.correction.deskew != 0
    assert seen[0].size == (levelled.width * 2, levelled.height * 2)
    assert read.lines[0].bbox == pytest.approx((0.0, 0.0, levelled.width, levelled.height), abs=1.0)
    # The copy is the levelled page at twice the size, made in one step: shrunk back it matches
    # the levelled page (an enlargement of the levelled page would match it too, so also check
    # that it holds detail a plain enlargement would not: it differs from one).
    shrunk = seen[0].resize(levelled.size, Image.Resampling.BOX)
    assert np.abs(np.asarray(shrunk, dtype=int) - np.asarray(levelled, dtype=int)).mean() < 6.0
    enlarged = levelled.resize(seen[0].size, Image.Resampling.BICUBIC)
    assert np.abs(np.asarray(enlarged, dtype=int) - np.asarray(seen[0], dtype=int)).mean() > 0.5
    # Capped by the long side: no copy larger than PAGE_LEVEL_MAX_SIDE.
    capped = PagePreparer(
        PagePrepSettings(level_scale=2.0, level_max_side=max(levelled.size) + 10, recheck_band=0.0, read_received=False)
    )
    seen.clear()
    capped.read(PageImage(1, tilted), recognize)
    assert seen[0].size == levelled.size


@pytest.mark.parametrize("clockwise", [0, 90])
def test_the_working_scale_leaves_upright_and_turned_pages_as_they_were(receipt_image, clockwise):
    page = _turned(receipt_image, clockwise)
    seen: list[Image.Image] = []
    settings = PagePrepSettings(level_scale=2.0, recheck_band=0.0)
    PagePreparer(settings).read(PageImage(1, page), lambda p: seen.append(p.image) or [])
    assert seen[0].size == receipt_image.size
    assert np.array_equal(np.asarray(seen[0]), np.asarray(receipt_image))


@pytest.mark.parametrize("skew", [4.0, -3.0])
def test_a_tilted_box_is_carried_onto_the_levelled_page(skew):
    """A line's axis-aligned box on the tilted page, carried onto the levelled page, is the
    line's own level box again (its width and height, not those of the box around it)."""
    from extraction.pageprep.tilted import level_box

    width, height = 600, 1200
    matrix, size = level_lines(width, height, skew)  # received (tilted) -> levelled
    transform = PageTransform(matrix, size)
    inverse = PageTransform(np.linalg.inv(matrix), (width, height))
    level = (100.0, 400.0, 500.0, 430.0)  # a 400 x 30 line on the levelled page
    x1, y1, x2, y2 = level
    corners = inverse.map_points(np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]]))
    tilted_box = (*corners.min(axis=0), *corners.max(axis=0))
    assert tilted_box[3] - tilted_box[1] > 50  # the box around the tilted line is much taller
    assert level_box(tilted_box, transform, skew) == pytest.approx(level, abs=0.5)


def test_a_tilted_page_is_read_from_its_received_pixels(receipt_image):
    tilted_page = receipt_image.rotate(4.0, expand=True, resample=Image.Resampling.BICUBIC, fillcolor=PAPER)
    seen: list[Image.Image] = []

    def recognize(page: PageImage) -> list[Line]:
        seen.append(page.image)
        return [Line.from_text("TOTAL 15.90", (100.0, 300.0, 300.0, 330.0), 0.95)]

    settings = PagePrepSettings(read_received=True, recheck_band=0.0)
    read = PagePreparer(settings).read(PageImage(1, tilted_page), recognize)
    assert read.correction.deskew != 0
    assert seen[0] is tilted_page  # the received pixels, not a resampled copy
    x1, y1, x2, y2 = read.lines[0].bbox
    assert y2 - y1 < 30 and x2 - x1 > 190  # level: narrower in height than the tilted box
    assert read.page.image.size != tilted_page.size  # the page reported is the levelled one
    # Off: the levelled page is read.
    seen.clear()
    PagePreparer(PagePrepSettings(read_received=False, recheck_band=0.0)).read(PageImage(1, tilted_page), recognize)
    assert seen[0].size != tilted_page.size
