"""Page pictures for drawing on, loaded from the document bytes again.

Why not keep the pipeline's own images: results are small and travel between processes,
pages are big; loading the bytes again with the options the result was made with gives the
same pixels (same EXIF rotation, same PDF rendering scale), so the result's boxes land where
the text is.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional, Union

from PIL import Image

from extraction.documents import load_document
from extraction.schema import Options

DocumentSource = Union[bytes, bytearray, memoryview, str, os.PathLike]


def document_bytes(document: DocumentSource) -> bytes:
    if isinstance(document, (bytes, bytearray, memoryview)):
        return bytes(document)
    return Path(document).read_bytes()


def page_images(
    document: DocumentSource,
    *,
    options: Optional[Options] = None,
    password: Optional[str] = None,
    limits: Optional[object] = None,
) -> dict[int, Image.Image]:
    """Page number (1-based) -> RGB picture, for the pages ``options.pages`` selects.

    Raises :class:`~extraction.errors.DocumentError` when the document cannot be loaded.
    """
    if limits is None:
        from extraction.settings.limits import Limits

        limits = Limits.from_env()
    options = options or Options()
    loaded = load_document(
        document_bytes(document),
        limits=limits,  # type: ignore[arg-type]
        pages=options.pages,
        dpi=options.dpi,
        password=password,
        render_text_pages=True,
    )
    images: dict[int, Image.Image] = {}
    for page in loaded.pages:
        image = page.image  # a PageImage's, or the rendering of a text-layer page
        if image is not None:
            images[page.number] = image.convert("RGB")
    return images
