"""Detecting a document's format from its bytes (never from the filename or MIME type)."""

from __future__ import annotations

from typing import Literal, Optional

DocumentFormat = Literal["pdf", "jpeg", "png", "tiff", "webp", "bmp", "gif"]

IMAGE_FORMATS: frozenset[str] = frozenset({"jpeg", "png", "tiff", "webp", "bmp", "gif"})


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
    # PDF readers accept the header anywhere in the first 1 KiB (some generators prepend junk).
    if b"%PDF-" in data[:1024]:
        return "pdf"
    return None
