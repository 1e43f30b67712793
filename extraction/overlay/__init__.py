"""Pictures of extraction results: the page with each field's box, label and confidence colour.

:func:`save_overlay` / :func:`overlay_images` draw a :class:`~extraction.schema.DocumentResult`
on its document's pages (``extract --overlay DIR``); :mod:`.draw` holds the primitives the
evaluation's error gallery shares.
"""

from extraction.overlay.document import PageOverlay, draw_page, overlay_images, overlay_stem, render_page, save_overlay
from extraction.overlay.pages import page_images

__all__ = ["PageOverlay", "draw_page", "overlay_images", "overlay_stem", "page_images", "render_page", "save_overlay"]
