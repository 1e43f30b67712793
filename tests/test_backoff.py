"""The one backoff rule shared by URL downloads and extract-batch job retries."""

from __future__ import annotations

import pytest

from extraction.backoff import backoff_delay


@pytest.mark.parametrize("retry", [0, 1, 2, 3])
def test_delay_doubles_per_retry_within_the_jitter_band(retry):
    delays = [backoff_delay(retry, 0.5, cap_s=1000.0) for _ in range(200)]
    nominal = 0.5 * 2**retry
    assert all(0.5 * nominal <= d < 1.5 * nominal for d in delays)
    assert len(set(delays)) > 1  # jittered, so clients that failed together spread out


def test_delay_never_exceeds_the_cap():
    assert max(backoff_delay(20, 1.0, cap_s=30.0) for _ in range(50)) == 30.0
