"""PDFs the generator cannot write itself: encrypted copies (with pypdf, a test dependency)."""

from __future__ import annotations

import io


def encrypted_copy(data: bytes, password: str, owner_password: str = "owner") -> bytes:
    """``data`` re-written with AES-128 encryption: it opens only with ``password``."""
    import pypdf

    writer = pypdf.PdfWriter()
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        writer.add_page(page)
    writer.encrypt(user_password=password, owner_password=owner_password, algorithm="AES-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
