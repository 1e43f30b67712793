"""``extract-batch`` command line."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any, Optional

from extraction.batch_client.api import EndpointClient
from extraction.batch_client.inputs import BatchDocument, local_documents, s3_documents
from extraction.batch_client.runner import BatchOptions, run_batch
from extraction.remote.redact import install_log_redaction, register_secret
from extraction.settings.fetch import BucketSettings

EXAMPLES = """examples:
  extract-batch invoices/ -o results.jsonl --endpoint-id abc123
  extract-batch s3://bucket/inbox/ -o results.jsonl --endpoint-id abc123 --s3-config-from-env
  extract-batch scans/ -o out.jsonl --base-url http://127.0.0.1:8000      # local dev server
Run the same command again to resume: documents already in the output are skipped."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="extract-batch",
        description="Extract fields from many receipts/invoices through a RunPod endpoint; one JSON line per document.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("inputs", nargs="+", help="files, folders (walked recursively) or s3://bucket/prefix/")
    p.add_argument("-o", "--output", required=True, type=Path, help="JSONL file (appended; existing lines make the run resume)")
    target = p.add_mutually_exclusive_group()
    target.add_argument("--endpoint-id", default=os.environ.get("RUNPOD_ENDPOINT_ID"), help="RunPod endpoint id (env RUNPOD_ENDPOINT_ID)")
    target.add_argument("--base-url", help="API base URL instead, e.g. http://127.0.0.1:8000 for `python handler.py --rp_serve_api`")
    p.add_argument("--batch-size", type=int, default=8, help="documents per job (default 8)")
    p.add_argument("--concurrency", type=int, default=4, help="jobs in flight at once (default 4)")
    p.add_argument("--retries", type=int, default=2, help="retries of a failed job before its documents are tried one by one (default 2)")
    p.add_argument("--max-request-mb", type=float, default=9.0, help="cap on one /run body; RunPod's limit is 10 MB (default 9)")
    p.add_argument("--job-timeout", type=float, default=3600.0, help="seconds before a job is cancelled and retried (default 3600)")
    p.add_argument("--poll-interval", type=float, default=1.0, help="first /status poll delay in seconds, growing to 10 (default 1)")
    p.add_argument("--retry-errors", action="store_true", help="on resume, also redo documents whose last line is an error")
    p.add_argument("--fields", help="comma-separated standard fields (default: all)")
    p.add_argument("--options", help='job options as JSON, e.g. \'{"dpi": 150}\'')
    p.add_argument("--output-url", help="s3://bucket/prefix/: the worker writes full results there; lines hold the manifest entries")
    p.add_argument("--s3-config-from-env", action="store_true",
                   help="send BUCKET_ENDPOINT_URL / BUCKET_ACCESS_KEY_ID / BUCKET_SECRET_ACCESS_KEY / BUCKET_NAME as the job's s3Config")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("-v", "--verbose", action="store_true")
    return p


def _s3_config_from_env() -> Optional[dict[str, Any]]:
    bucket = BucketSettings.from_env()
    if not bucket.access_key_id:
        return None
    config = {
        "endpointUrl": bucket.endpoint_url,
        "accessId": bucket.access_key_id,
        "accessSecret": bucket.secret,
        "bucketName": bucket.name,
    }
    register_secret(config["accessSecret"])
    return {k: v for k, v in config.items() if v}


def collect(inputs: list[str], s3_config: Optional[dict[str, Any]]) -> list[BatchDocument]:
    documents: list[BatchDocument] = []
    local = [i for i in inputs if not i.lower().startswith("s3://")]
    documents.extend(local_documents(local))
    for url in inputs:
        if url.lower().startswith("s3://"):
            documents.extend(s3_documents(url, s3_config))
    ids = [d.id for d in documents]
    if len(set(ids)) != len(ids):
        raise SystemExit("extract-batch: two inputs give the same document id; pass each file or folder once")
    return documents


def main(argv: Optional[list[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    install_log_redaction()
    # RunPod's own client variables, read as its tools read them (not worker settings).
    api_key = os.environ.get("RUNPOD_API_KEY")
    register_secret(api_key)
    if args.base_url:
        client = EndpointClient(args.base_url, api_key, pool_size=max(4, args.concurrency * 2))
    elif args.endpoint_id:
        if not api_key:
            print("extract-batch: set RUNPOD_API_KEY", file=sys.stderr)
            return 2
        client = EndpointClient.for_endpoint(args.endpoint_id, api_key, pool_size=max(4, args.concurrency * 2))
    else:
        print("extract-batch: give --endpoint-id (or RUNPOD_ENDPOINT_ID) or --base-url", file=sys.stderr)
        return 2

    s3_config = _s3_config_from_env() if args.s3_config_from_env else None
    job_input: dict[str, Any] = {}
    if args.fields:
        job_input["fields"] = [f.strip() for f in args.fields.split(",") if f.strip()]
    if args.options:
        try:
            job_input["options"] = json.loads(args.options)
        except ValueError:
            print("extract-batch: --options must be JSON", file=sys.stderr)
            return 2
    if args.output_url:
        job_input["output"] = {"url": args.output_url}

    try:
        documents = collect(args.inputs, s3_config)
    except FileNotFoundError as exc:
        print(f"extract-batch: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # e.g. an S3 listing error (already redacted DocumentError)
        print(f"extract-batch: cannot list inputs: {getattr(exc, 'message', type(exc).__name__)}", file=sys.stderr)
        return 2
    if not documents:
        print("extract-batch: no documents found", file=sys.stderr)
        return 2

    options = BatchOptions(
        batch_size=max(1, args.batch_size),
        concurrency=max(1, args.concurrency),
        retries=max(0, args.retries),
        max_body_bytes=int(args.max_request_mb * 1024 * 1024),
        job_timeout_s=args.job_timeout,
        poll_s=args.poll_interval,
        retry_errors=args.retry_errors,
        job_input=job_input,
        s3_config=s3_config,
    )
    stop = threading.Event()
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    progress = None
    if not args.no_progress:
        from tqdm import tqdm

        progress = tqdm(total=len(documents), unit="doc", dynamic_ncols=True, file=sys.stderr)
    try:
        report = run_batch(client, documents, args.output, options, progress=progress, stop=stop)
    except KeyboardInterrupt:
        stop.set()
        print("\nextract-batch: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    finally:
        if progress is not None:
            progress.close()
        signal.signal(signal.SIGTERM, previous)
    print(json.dumps(report.to_dict()), file=sys.stderr)
    if report.interrupted:
        print("extract-batch: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    return 0 if report.failed == 0 else 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
