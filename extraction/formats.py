"""Detecting a document's format from its bytes (never from the filename or MIME type)."""

from __future__ import annotations

from typing import Literal, Optional

DocumentFormat = Literal["pdf", "jpeg", "png", "tiff", "webp", "bmp", "gif", "heif", "avif"]

IMAGE_FORMATS: frozenset[str] = frozenset({"jpeg", "png", "tiff", "webp", "bmp", "gif", "heif", "avif"})

#: ISO base media file brands (the ``ftyp`` box) of HEIF images (iPhone photos: ``heic``) and
#: of AVIF images. ``mif1``/``msf1`` are generic HEIF brands: the other brands decide.
HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"})
AVIF_BRANDS = frozenset({b"avif", b"avis"})


def sniff_format(data: bytes) -> Optional[DocumentFormat]:
    """The format named by the file's magic bytes, or None when it is none we support."""
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")):
        return "tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head.startswith(b"BM") and len(data) >= 26:
        return "bmp"
    if head[4:8] == b"ftyp":
        return _heif_family(data)
    # PDF readers accept the header anywhere in the first 1 KiB (some generators prepend junk).
    if b"%PDF-" in data[:1024]:
        return "pdf"
    return None


def _heif_family(data: bytes) -> Optional[DocumentFormat]:
    """HEIF or AVIF from the brands of the ``ftyp`` box (major brand, then compatible ones)."""
    size = int.from_bytes(data[:4], "big")
    if size < 16 or size > min(len(data), 4096):
        return None
    brands = [data[8:12]] + [data[offset : offset + 4] for offset in range(16, size - 3, 4)]
    if any(brand in AVIF_BRANDS for brand in brands):
        return "avif"
    if any(brand in HEIF_BRANDS for brand in brands):
        return "heif"
    return None
