"""The CPU OCR engine's settings (RapidOCR 3.x on ONNX Runtime), ``RAPIDOCR_*``.

Only these RapidOCR parameters are exposed, on purpose: each was measured with
``python -m extraction.evaluate``. A tuning knob left unset (``None``) is not passed at all,
so RapidOCR's own default applies and the engine description (part of the OCR cache key)
stays as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Optional

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from extraction.settings.base import Settings
from extraction.settings.types import LowerCase, WholeNumber


class RapidOcrSettings(Settings):
    """RapidOCR parameters, the word boxes and the respacing of punctuation."""

    model_config = SettingsConfigDict(env_prefix="RAPIDOCR_")

    # Our defaults, chosen on SROIE and the invoice set: detection on the image scaled so its
    # long side is at most 1280 px (RapidOCR's own `min`/736 upscales narrow receipts), and no
    # 180° line classifier (receipts and invoices come upright; EXIF is applied). Same field
    # accuracy (mean F1 0.782 vs 0.781 on sroie-dev, 0.971 vs 0.973 on invoices-odoo) for about
    # 37% less OCR time. Recognition still reads crops of the full image.
    det_limit_type: Annotated[Literal["max", "min"], LowerCase] = Field(
        "max",
        description=(
            "how the page is sized for detection: `max` caps its long side at "
            "`RAPIDOCR_DET_LIMIT_SIDE_LEN`, `min` raises its short side to it (RapidOCR's own choice, "
            "which upscales narrow receipts); recognition reads full-resolution crops either way"
        ),
    )
    det_limit_side_len: WholeNumber = Field(
        1280,
        ge=1,
        description=(
            "detection input size in pixels: same field accuracy as RapidOCR's `min`/736 "
            "(sroie-dev mean F1 0.782 vs 0.781) for about 37% less OCR time"
        ),
    )
    use_cls: bool = Field(False, description="180° text-line classifier (turn on for upside-down scans)")
    det_box_thresh: Optional[float] = Field(
        None,
        ge=0.0,
        le=1.0,
        description="RapidOCR tuning: lowest score of a detected text box that is kept",
        json_schema_extra={"shown_default": "RapidOCR's (`0.5`)"},
    )
    det_thresh: Optional[float] = Field(
        None,
        ge=0.0,
        le=1.0,
        description="RapidOCR tuning: probability above which a pixel of the detection map counts as text",
        json_schema_extra={"shown_default": "RapidOCR's (`0.3`)"},
    )
    det_unclip_ratio: Optional[float] = Field(
        None,
        gt=0.0,
        description="RapidOCR tuning: how far each detected text region is grown before it is cropped",
        json_schema_extra={"shown_default": "RapidOCR's (`1.6`)"},
    )
    text_score: Optional[float] = Field(
        None,
        ge=0.0,
        le=1.0,
        description="RapidOCR tuning: lowest recognition score of a line that is kept",
        json_schema_extra={"shown_default": "RapidOCR's (`0.5`)"},
    )
    max_side_len: Optional[WholeNumber] = Field(
        None,
        ge=1,
        description="RapidOCR tuning: a larger image is scaled down to this long side (pixels) before OCR",
        json_schema_extra={"shown_default": "RapidOCR's (`2000`)"},
    )
    threads: Optional[WholeNumber] = Field(
        None,
        ge=-1,
        description=(
            "threads per inference (ONNX Runtime's intra-op threads, OpenVINO's inference threads); `-1` or `0`: "
            "the runtime decides (all cores); the documents of a job read in parallel get one each"
        ),
        json_schema_extra={"shown_default": "RapidOCR's (`-1`)"},
    )
    runtime: Annotated[Literal["auto", "openvino", "onnxruntime"], LowerCase] = Field(
        "auto",
        description=(
            "inference runtime of the recogniser (and of the detector with `RAPIDOCR_DET_RUNTIME=same`): "
            "`openvino` or `onnxruntime`; `auto` = OpenVINO when the `openvino` package is installed, else ONNX Runtime"
        ),
    )
    det_runtime: Annotated[Literal["same", "auto", "openvino", "onnxruntime"], LowerCase] = Field(
        "onnxruntime",
        description=(
            "inference runtime of the detector alone; `same` = `RAPIDOCR_RUNTIME`. ONNX Runtime by default: "
            "OpenVINO keeps the buffers of the largest page it has detected (150-250 MB for a receipt) for as "
            "long as the model lives, on top of what the recogniser holds while the same page is read; ONNX "
            "Runtime frees them after each page and detects as fast on the CPUs measured (docs/speed.md)"
        ),
    )
    precision: Annotated[Literal["auto", "bf16", "f32"], LowerCase] = Field(
        "auto",
        description=(
            "OpenVINO's arithmetic: `auto` = OpenVINO's choice, bfloat16 where the CPU computes it natively "
            "(AMX, AVX-512 BF16: about 1.6x faster per receipt, the same fields as float32 on sroie-dev and "
            "invoices-odoo), else float32; `f32` reads as ONNX Runtime does; `bf16` forces bfloat16; ignored by ONNX Runtime"
        ),
    )
    openvino_cache_dir: Optional[Path] = Field(
        None,
        description="where OpenVINO keeps the compiled models, so that later starts skip compiling them",
        json_schema_extra={"shown_default": "`openvino/` under the model cache root (`MODEL_CACHE_DIR`)"},
    )
    rec_batch_size: Optional[WholeNumber] = Field(
        None,
        ge=1,
        description="RapidOCR tuning: text lines recognised per inference (lines of similar width are batched together)",
        json_schema_extra={"shown_default": "RapidOCR's (`6`)"},
    )
    det_min_short_side: WholeNumber = Field(
        0,
        ge=0,
        description=(
            "with `RAPIDOCR_DET_LIMIT_TYPE=max`, the long-side cap never shrinks the page's short side below this "
            "many pixels for detection (tall receipts keep their text legible); `0` = the cap alone"
        ),
    )
    # Shape buckets. OpenVINO keeps what it builds for every input shape it has run (buffers,
    # kernels), and a page's detector input and each recogniser batch's width take many sizes,
    # so a reader's memory climbs with every new page and line width. Padding the inputs up to
    # a few sizes bounds the shapes; padding is what the models already see (the detector's
    # convolutions pad with zeros, a recogniser batch pads its narrower lines to its widest), and
    # the padded part of the answer is cut off again. Measured in docs/speed.md (memory).
    det_shape_step: WholeNumber = Field(
        0,
        ge=0,
        description=(
            "detector input height and width padded (never resized) up to a multiple of this many pixels, so "
            "pages of many sizes share a few input shapes (OpenVINO keeps memory per shape); `0` = no padding"
        ),
    )
    rec_width_step: WholeNumber = Field(
        0,
        ge=0,
        description=(
            "recogniser batch width (at its 48 px height) padded up to a multiple of this many pixels, so "
            "batches share a few input shapes (OpenVINO keeps memory per shape); `0` = RapidOCR's own width"
        ),
    )
    rec_full_batches: bool = Field(
        False,
        description=(
            "pad a page's last, short recogniser batch with blank lines up to `RAPIDOCR_REC_BATCH_SIZE`, so "
            "every batch has the same size (fewer input shapes, at the cost of reading the blanks)"
        ),
    )
    reduce_first: bool = Field(
        True,
        description=(
            "a page larger than RapidOCR's `max_side_len` is reduced to it before it is handed over (the same "
            "reduction RapidOCR makes, so the same text), instead of inside RapidOCR after full-size copies: "
            "about 250 MB less peak memory on a 35-megapixel scan"
        ),
    )
    recycle_above_mb: int = Field(
        450,
        ge=0,
        description=(
            "after a page, when this process still holds more than this many MB, the detector and recogniser "
            "sessions are built again (from OpenVINO's compiled-model cache: about 0.3 s), which hands back the "
            "buffers they keep for the input shapes seen; 50 receipts in one process on OpenVINO: peak 872 MB "
            "instead of 1455 (with the detector on ONNX Runtime and the kernel cache bounded), same fields; "
            "`0` = never"
        ),
    )
    rec_model: Optional[str] = Field(
        None,
        description=(
            "path of another recognition model (`.onnx`), e.g. the int8 copy made by "
            "`builder/quantize_recognizer.py`: same sroie-dev F1 on 30 receipts, but on ONNX Runtime not faster "
            "(2.12 s vs 2.06 s median per receipt, 12 receipts)"
        ),
        json_schema_extra={"shown_default": "the wheel's PP-OCRv6 small"},
    )
    word_boxes: bool = Field(
        True,
        description=(
            "per-word boxes from the recogniser's character boxes; `false` spreads words over the line box "
            "(about 0.1 s less per receipt, invoices-odoo po_number 0.899 instead of 0.909) and turns off "
            "`RAPIDOCR_RESPACE`"
        ),
    )
    respace: bool = Field(
        True,
        description=(
            "re-decide the space after each comma or colon from the ink: the blank band after the mark is "
            "compared with the same line's letter and word gaps (the recogniser guesses this space); "
            "sroie-dev `vendor_address` 0.717 instead of 0.650, no change on invoices"
        ),
    )
    # Measured on the 5,400 sroie-dev lines against their transcripts: 0.05 reads 83.7 % of lines
    # exactly (0.1: 83.5 %, 0: 83.0 %) because the spaces around punctuation come out right more
    # often (324 and 313 lines wrong only in spaces, against 377), but slightly fewer characters
    # right (89.7 %, 89.3 %, 90.0 %); field F1 end to end is a wash (sroie-dev mean 0.883 with
    # 0.05 and 0.878 with 0.1, against 0.884: addresses gain, names and totals lose), so the
    # default keeps RapidOCR's crops.
    crop_pad: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description=(
            "margin added around each detected line before recognition, as a share of its height (`0` = "
            "RapidOCR's tight crops); `0.05` reads more lines exactly as printed (the spaces around "
            "punctuation) but slightly fewer characters, a wash on sroie-dev fields"
        ),
    )
