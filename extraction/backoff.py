"""How long to wait before retrying something that failed for a reason that may pass.

One rule for every retry in the project (downloads by URL, jobs sent by ``extract-batch``):
the wait doubles with each retry and is spread by a random factor, so that many clients
that failed together do not all come back at the same moment.
"""

from __future__ import annotations

import random


def backoff_delay(retry: int, base_s: float, cap_s: float) -> float:
    """Seconds to wait before retry number ``retry`` (0 for the first).

    ``base_s * 2**retry`` times a jitter factor in [0.5, 1.5), never more than ``cap_s``.
    """
    return min(cap_s, base_s * (2**retry) * (0.5 + random.random()))
