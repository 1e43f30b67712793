"""How page images are prepared for OCR (photos as people take them), ``PAGE_*``.

Every step is measured with ``python benchmarks/photo_variants.py`` (rotated, tilted,
low-resolution and degraded copies of labelled sets, scored by the evaluation harness).
"""

from __future__ import annotations

from typing import Optional

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from extraction.settings.base import Settings


class PagePrepSettings(Settings):
    """Orientation, deskew, perspective and upscaling of page images before OCR."""

    model_config = SettingsConfigDict(env_prefix="PAGE_")  # merged with the base class's

    enabled: bool = Field(
        True,
        validation_alias="PAGE_PREP",
        description="prepare page images before OCR (orientation, deskew, perspective, upscaling); `false` sends them as received",
    )
    orientation: bool = Field(
        True,
        description="turn pages upright (0/90/180/270 degrees) from the direction of the text and a text-line orientation vote",
    )
    deskew: bool = Field(True, description="level text lines tilted by a few degrees (up to 10)")
    min_skew_deg: float = Field(
        1.0, ge=0.0, le=10.0, description="smallest tilt, in degrees, that is corrected (smaller ones cost a resampling for nothing)"
    )
    # Measured on 10 receipts of sroie-dev 60-119 tilted by -5/+5/-3/+3 degrees: mean F1 0.763 / 0.763 /
    # 0.825 / 0.800 trimmed against 0.763 (-5) and 0.825 (+3) untrimmed: no gain, one address lost. Off.
    trim: bool = Field(
        False,
        description=(
            "after levelling or flattening, trim the canvas to the ink plus `PAGE_TRIM_MARGIN` character heights "
            "(off: no measured gain on tilted receipts)"
        ),
    )
    trim_margin: float = Field(3.0, ge=0.0, le=50.0, description="margin kept around the ink when trimming, in character heights")
    # A levelled or flattened page is resampled once from the received pixels; OCR then crops
    # each line from it and resizes the crop to its recogniser's 48 px (a second and third
    # interpolation, of pixels already interpolated once). Making the OCR copy at a larger
    # working scale in the same single resampling leaves the crops less to interpolate. Upright
    # pages (identity or a lossless quarter turn) are never touched by it. Measured on sroie-dev
    # receipts 0-59 (10, tilted by -5/+5/+3/-3 degrees): mean F1 0.875/0.825/0.900/0.825 at 1,
    # 0.850/0.800/0.825/0.850 at 2 (capped at 2000 px): other characters read differently, more
    # of them wrongly. Off.
    level_scale: float = Field(
        1.0,
        ge=1.0,
        le=4.0,
        description=(
            "a levelled or flattened page is read by OCR from a copy made at this scale in its one resampling "
            "(boxes are scaled back); `1` = at the page's own size; pages left as received are unaffected; "
            "off: no gain on tilted receipts (sroie-dev 0-59, mean of four tilts 0.856 at 1, 0.831 at 2)"
        ),
    )
    level_max_side: int = Field(
        2000,
        ge=256,
        description=(
            "long side, in pixels, that the copy made at `PAGE_LEVEL_SCALE` may reach (RapidOCR shrinks larger "
            "images to 2000 px before OCR, which would undo the gain)"
        ),
    )
    # RapidOCR's detector finds tilted lines as turned rectangles and straightens each one as it
    # crops it, so a tilted page's characters can be read from the received pixels (one
    # interpolation per line, as on an upright page) while the layout is taken from the levelled
    # page: each line's box is mapped onto it. Only for a page that is merely tilted (no quarter
    # turn, no flattening). Measured (docs/photos.md): sroie-dev 0-59, 10 receipts tilted by
    # -5/+5/+3/-3 degrees, mean F1 0.875/0.825/0.900/0.825 -> 0.850/0.850/0.900/0.875; 60-119
    # (held-out), 20 receipts, 0.863/0.850/0.863/0.863 -> 0.850/0.863/0.888/0.888; the 9 sroie-dev
    # receipts that are themselves levelled (1.0-4.6 degrees): 0.867 -> 0.867 (3, 0-59) and
    # 0.917 -> 0.958 (6, 60-119). Pages left as received are not affected.
    read_received: bool = Field(
        True,
        description=(
            "read a page that is only levelled (tilted by `PAGE_MIN_SKEW_DEG` to `PAGE_READ_RECEIVED_MAX_DEG`) "
            "from its received pixels and map the lines' boxes onto the levelled page, instead of reading the "
            "resampled page (sroie-dev tilted receipts 60-119: mean F1 of four tilts 0.860 -> 0.872)"
        ),
    )
    read_received_max_deg: float = Field(
        6.0, ge=0.0, le=10.0, description="largest tilt, in degrees, read from the received pixels with `PAGE_READ_RECEIVED`"
    )
    perspective: bool = Field(
        True, description="flatten a page photographed at an angle when its four edges stand out against the background"
    )
    # Measured on half-resolution copies of sroie-dev receipts 0-59 (20 of them, JPEG quality 35):
    # mean F1 0.750 as they are, 0.725 enlarged to 16 px characters, 0.738 to 20 px, 0.725 to
    # 24 px (sharpened, smoothed or denoised first: 0.675-0.750). RapidOCR's recogniser reads
    # every line at 48 px whatever the page's size, and its detector already finds these lines;
    # what is lost is in the pixels. So enlarging is off by default.
    upscale: bool = Field(
        False,
        description=(
            "enlarge pages whose characters are smaller than `PAGE_TEXT_HEIGHT` before OCR; off: on half-resolution "
            "receipts it did not help RapidOCR (sroie-dev mean F1 0.750 as they are, 0.725-0.738 enlarged)"
        ),
    )
    text_height: int = Field(
        24, ge=8, le=128, description="character height, in pixels, that small pages are enlarged to for OCR (boxes keep the page's size)"
    )
    max_upscale: float = Field(3.0, ge=1.0, le=8.0, description="largest enlargement factor for OCR")
    max_upscaled_side: int = Field(
        2600, ge=256, description="long side, in pixels, an enlarged page may reach (caps the OCR cost of tiny pages)"
    )
    flip_threshold: float = Field(
        0.5, gt=0.0, lt=1.0, description="mean probability of the sampled lines being upside down above which a page is turned by 180 degrees"
    )
    recheck_band: float = Field(
        0.2,
        ge=0.0,
        lt=0.5,
        description=(
            "when the upside-down vote is within this distance of `PAGE_FLIP_THRESHOLD`, the page is read both ways "
            "and the reading with the higher OCR confidence is kept (`0`: never)"
        ),
    )
    # sroie-dev receipts 0-59: upright, half-resolution and blurred pages read at 0.86-0.99;
    # upside-down pages read as they are at 0.62-0.74.
    min_confidence: float = Field(
        0.8,
        ge=0.0,
        le=1.0,
        description="mean OCR confidence under which a page is reported as unreadable (a warning, and its fields' confidence capped)",
    )
    unreadable_confidence_cap: float = Field(
        0.3, ge=0.0, le=1.0, description="highest confidence given to a field read from a page reported as unreadable"
    )
    orientation_model: Optional[str] = Field(
        None,
        description="path of the text-line orientation model (`.onnx`, 0/180 degrees); default: the one in the `rapidocr` wheel",
    )
