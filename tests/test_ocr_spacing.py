"""The space after a comma or colon is re-decided from the ink, measured against the line's own gaps."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageFont

from extraction.ocr.spacing import Glyph, respace_line


def render(printed: str, *, size: int = 40, ink: int = 0, paper: int = 255):
    """Draw one line of text and return the page, the line's box as a detector gives it (the
    ink plus a margin) and one glyph per non-space character with its centre (what the
    recogniser's character boxes locate)."""
    font = ImageFont.load_default(size=size)
    image = Image.new("L", (1400, 3 * size), paper)
    draw = ImageDraw.Draw(image)
    x, y = 20.0, size
    draw.text((x, y), printed, font=font, fill=ink)
    _, top, right, bottom = draw.textbbox((x, y), printed + "Hg,", font=font)
    margin = 0.15 * (bottom - top)
    quad = [[x - margin, top - margin], [x + font.getlength(printed) + margin, top - margin]]
    quad += [[quad[1][0], bottom + margin], [quad[0][0], bottom + margin]]
    glyphs = [
        Glyph(text=char, center=(x + (font.getlength(printed[:i]) + font.getlength(printed[: i + 1])) / 2, (top + bottom) / 2))
        for i, char in enumerate(printed)
        if not char.isspace()
    ]
    return image, quad, glyphs


@pytest.mark.parametrize("read", ["Jalan Bahru, Kedah", "Jalan Bahru,Kedah"])
def test_a_comma_glued_to_the_next_word_loses_the_space_the_recogniser_added(read):
    image, quad, glyphs = render("Jalan Bahru,Kedah")
    assert respace_line(image, quad, read, glyphs) == "Jalan Bahru,Kedah"


@pytest.mark.parametrize("read", ["Jalan Cheras,Selangor", "Jalan Cheras, Selangor"])
@pytest.mark.parametrize("size", [24, 40, 64])
def test_a_band_as_wide_as_the_lines_word_gaps_after_a_comma_is_a_space(read, size):
    image, quad, glyphs = render("Jalan Cheras, Selangor", size=size)
    assert respace_line(image, quad, read, glyphs) == "Jalan Cheras, Selangor"


def test_colons_are_respaced_and_light_print_on_dark_paper_works_too():
    image, quad, glyphs = render("Head Office: 7, Jalan Bukit", ink=255, paper=20)
    assert respace_line(image, quad, "Head Office:7,Jalan Bukit", glyphs) == "Head Office: 7, Jalan Bukit"


def test_a_line_without_word_gaps_to_compare_with_keeps_the_recognisers_choice():
    image, quad, glyphs = render("Bahru,Kedah")
    assert respace_line(image, quad, "Bahru, Kedah", glyphs) == "Bahru, Kedah"
    image, quad, glyphs = render("Cheras, Selangor")
    assert respace_line(image, quad, "Cheras,Selangor", glyphs) == "Cheras,Selangor"


def test_numbers_and_signs_are_left_alone():
    # a thousands comma or a time is part of a number, whatever the ink says
    image, quad, glyphs = render("Total due 2, 305.80")
    assert respace_line(image, quad, "Total due 2,305.80", glyphs) == "Total due 2,305.80"
    # no space is put between a colon and a sign: ":-51.88" is a separator and an amount
    image, quad, glyphs = render("Total due: -51.88")
    assert respace_line(image, quad, "Total due:-51.88", glyphs) == "Total due:-51.88"
    assert respace_line(image, quad, "Total due: 51.88", render("Total due: 51.88")[2]) == "Total due: 51.88"


def test_text_that_does_not_line_up_with_its_glyphs_is_returned_unchanged():
    image, quad, glyphs = render("Jalan Bahru,Kedah")
    assert respace_line(image, quad, "Jalan Bahru, Kedahh", glyphs) == "Jalan Bahru, Kedahh"
    assert respace_line(image, [[0, 0], [1, 0], [1, 1], [0, 1]], "Jalan Bahru, Kedah", glyphs) == "Jalan Bahru, Kedah"
    no_comma = [g for g in glyphs if g.text != ","]
    assert respace_line(image, quad, "Jalan Bahru Kedah", no_comma) == "Jalan Bahru Kedah"


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(alphabet="ab1,: ", min_size=1, max_size=24),
    positions=st.lists(st.floats(min_value=-50, max_value=700, allow_nan=False), min_size=24, max_size=24),
)
def test_only_spaces_ever_change_whatever_the_glyph_positions(text, positions):
    text = " ".join(text.split())  # as the engine passes it: stripped, single spaces
    image, quad, _ = render("Jalan Bahru, Kedah: 12,5 ab")
    letters = text.replace(" ", "")
    glyphs = [Glyph(char, (x, 60.0)) for char, x in zip(letters, positions)]
    respaced = respace_line(image, quad, text, glyphs)
    assert respaced.replace(" ", "") == letters
    assert "  " not in respaced and respaced == respaced.strip()
