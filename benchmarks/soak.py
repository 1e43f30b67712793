"""Soak run: ``python benchmarks/soak.py [--jobs 1000]``.

Sends a stream of mixed jobs (digital PDFs, small photos, corrupt and oversized documents,
invalid jobs) through the handler function in one process and prints RSS at the start,
every 100 jobs and at the end, time per job, and the count of each outcome. What to look
for: RSS flat after warm-up (growth < 10% from job 100 to the end), no crash, no hang.
"""

from __future__ import annotations

import argparse
import base64
import collections
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OCR_ENGINE", "rapidocr")
os.environ.setdefault("EXTRACTOR", "rules")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("MAX_DOCUMENT_BYTES", str(2 * 1024 * 1024))


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def build_documents() -> dict[str, str]:
    from PIL import Image

    from extraction import samplegen

    invoice = samplegen.write_pdf([samplegen.invoice_page()])
    photo = samplegen.image_bytes(samplegen.render_receipt(scale=0.7), "JPEG", quality=80)
    noise = samplegen.image_bytes(Image.effect_noise((1600, 1600), 90).convert("RGB"), "PNG")  # > 2 MB
    raw = {
        "pdf": invoice,
        "photo": photo,
        "truncated_pdf": invoice[: len(invoice) // 2],
        "truncated_jpeg": photo[: len(photo) // 3],
        "oversized": noise,
        "not_a_document": b"hello, I am not a receipt" * 10,
    }
    return {name: base64.b64encode(data).decode() for name, data in raw.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    start_rss = rss_mb()
    import handler  # builds the pipeline once, as on a worker

    docs = build_documents()
    mix = ["pdf"] * 55 + ["photo"] * 5 + ["truncated_pdf"] * 10 + ["truncated_jpeg"] * 10 + ["oversized"] * 10 + ["not_a_document"] * 5 + ["invalid_job"] * 5
    outcomes: collections.Counter[str] = collections.Counter()
    durations: list[float] = []
    print(f"RSS at start: {start_rss:.0f} MB; after loading the worker: {rss_mb():.0f} MB")
    rss_at_100 = None
    for index in range(1, args.jobs + 1):
        kinds = [rng.choice(mix) for _ in range(rng.randint(1, 3))]
        if "invalid_job" in kinds:
            job = {"id": f"soak-{index}", "input": {"documents": [{"base64": docs["pdf"], "colour": "red"}]}}
        else:
            job = {"id": f"soak-{index}", "input": {"documents": [{"id": k, "base64": docs[k]} for k in kinds]}}
        started = time.perf_counter()
        result = handler.handler(job)
        durations.append(time.perf_counter() - started)
        if "error" in result:
            outcomes["job:" + result["error"].split(":")[0]] += 1
        else:
            for document in result["documents"]:
                outcomes["ok" if document["status"] == "ok" else document["error"]["code"]] += 1
        if index % 100 == 0:
            rss = rss_mb()
            rss_at_100 = rss_at_100 or rss
            print(f"job {index:5d}: RSS {rss:7.1f} MB, mean {statistics.mean(durations[-100:]) * 1000:7.1f} ms/job over the last 100")
    end_rss = rss_mb()
    print(f"\njobs: {args.jobs}, mean {statistics.mean(durations) * 1000:.1f} ms/job, p95 {sorted(durations)[int(0.95 * len(durations))] * 1000:.1f} ms, max {max(durations) * 1000:.1f} ms")
    print("outcomes:", dict(sorted(outcomes.items())))
    if rss_at_100:
        print(f"RSS growth from job 100 to job {args.jobs}: {rss_at_100:.1f} -> {end_rss:.1f} MB ({(end_rss - rss_at_100) / rss_at_100 * 100:+.1f}%)")


if __name__ == "__main__":
    main()
