"""Page images prepared for OCR: turned upright, levelled, flattened, enlarged when small.

:class:`PagePreparer` is the pipeline's one entry point (see :mod:`~extraction.pageprep.preparer`).
"""

from extraction.pageprep.preparer import PagePreparer, PreparedRead
from extraction.pageprep.quality import cap_unreadable

__all__ = ["PagePreparer", "PreparedRead", "cap_unreadable"]
