"""Check our TILT input and engine handling against the Arctic-TILT fork's real code, on the CPU.

    python benchmarks/tilt_contract_check.py --fork PATH_TO_A_CHECKOUT [--patched PATH] [--limit 20]

``PATH`` is a checkout of Snowflake-Labs/arctic-tilt (the pinned commit). Its ``vllm`` package
is imported as it is, without running ``vllm/__init__.py`` (which needs the compiled
kernels): ``tilt_processor``, the TILT scheduler, ``SamplerOutput`` and ``LLMEngine`` all
import on a CPU with torch, torchvision, transformers, tokenizers, msgspec and the fork's
pure-Python dependencies installed (see docs/gpu.md for the environment). A tiny tokenizer is
trained by the script (the real one comes with the weights, which are not needed here).

Part 1 sends our conversion (``extraction.extractors.tilt.convert``) of real documents
through the real ``TiltPreprocessor`` and checks the token counts, boxes and images it makes.
Part 2 runs the real ``Scheduler`` and ``LLMEngine.abort_request`` on the failures the worker
guards against, and with ``--patched`` (a checkout with ``builder/tilt-patches/`` applied:
``builder/build_tilt_wheel.sh --patch-only DIR``) that the patches remove them. Prints one
line per check and a JSON summary; exits 1 if a check fails. Not part of CI (it needs torch).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RESULTS: list[dict] = []


def check(name: str, ok: bool, detail: str = "") -> bool:
    RESULTS.append({"check": name, "ok": bool(ok), "detail": detail})
    print(f"{'PASS' if ok else 'FAIL'}  {name}{': ' + detail if detail else ''}", flush=True)
    return bool(ok)


def import_fork(fork: Path) -> None:
    """``vllm`` from the checkout, skipping its ``__init__`` (compiled kernels, platform probing)."""
    for name in [m for m in sys.modules if m == "vllm" or m.startswith("vllm.")]:
        del sys.modules[name]
    package = types.ModuleType("vllm")
    package.__path__ = [str(fork / "vllm")]
    sys.modules["vllm"] = package


# --------------------------------------------------------------------------- documents


def sroie_like(root: Path, limit: int):
    """(id, DocumentText) of a dataset whose manifest has images and SROIE-style OCR boxes."""
    from PIL import Image

    from extraction.evaluate.manifest import read_ocr_boxes
    from extraction.layout import DocumentText, Line, PageText

    manifest = root / "manifest.jsonl"
    if not manifest.exists():
        return
    for raw in manifest.read_text(encoding="utf-8").splitlines()[:limit]:
        entry = json.loads(raw)
        if not entry.get("ocr_boxes") or not str(entry.get("file", "")).lower().endswith((".jpg", ".png")):
            continue
        image = Image.open(root / entry["file"])
        image.load()
        lines = [Line.from_text(b.text, b.bbox) for b in read_ocr_boxes(root / entry["ocr_boxes"]) if b.text.strip()]
        yield entry["id"], DocumentText([PageText(1, image.width, image.height, lines, "dataset", image)])


def synthetic_documents():
    """A tall receipt (past the image crop) and pages in each image mode the worker meets."""
    from PIL import Image

    from extraction.layout import DocumentText, Line, PageText

    def page(width, height, image, rows=None):
        rows = rows or (height - 60) // 40
        lines = [Line.from_text(f"ITEM {i} CAFE LATTE {i}.50", (20, 20 + 40 * i, width - 40, 48 + 40 * i)) for i in range(rows)]
        return DocumentText([PageText(1, width, height, lines, "ocr", image)])

    yield "tall-receipt-600x4200", page(600, 4200, Image.new("RGB", (600, 4200), "white"))
    for mode in ("RGB", "RGBA", "LA", "CMYK", "1", "P", "I;16", "I", "F", "L"):
        yield f"mode-{mode}", page(800, 1100, Image.new(mode, (800, 1100)), rows=20)


def train_tokenizer(texts):
    """A small T5-style (Metaspace + Unigram) tokenizer, like the model's sentencepiece one."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.Unigram())
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.decoder = decoders.Metaspace()
    trainer = trainers.UnigramTrainer(vocab_size=2000, special_tokens=["<pad>", "</s>", "<unk>"], unk_token="<unk>")
    tokenizer.train_from_iterator(texts, trainer=trainer)
    return tokenizer


# --------------------------------------------------------------------------- part 1: preprocessor


def preprocessor_checks(documents, tokenizer) -> None:
    import torch

    from vllm.multimodal import tilt_processor as tp
    from vllm.transformers_utils.configs.tilt import TiltConfig

    from extraction.extractors.tilt.convert import question_tokens, to_tilt_document, token_counter
    from extraction.extractors.tilt.failures import QUESTION_TOO_LONG
    from extraction.extractors.tilt.limits import TiltLimits

    config = TiltConfig()  # the fork's defaults are the released model's limits
    pre = tp.TiltPreprocessor.from_config(config, tokenizer)
    limits = TiltLimits(image_width=config.image_width, max_image_height=config.max_image_height)
    question = tp.Question("total", "What is the total amount?")
    counted = token_counter(tokenizer)
    stats = {"documents": 0, "tilt_pages": 0, "split_pages": 0, "tokens_below_crop_unsplit": 0}
    for doc_id, text in documents:
        try:
            conv = to_tilt_document(doc_id, text, tp, max_pages=16, max_tokens=100000, count_tokens=counted,
                                    max_page_ratio=limits.max_page_ratio, max_splits=4)
            (prompt,) = pre.preprocess(conv.document, [question])
        except Exception as exc:  # noqa: BLE001 - reported as a failed check
            check(f"{doc_id}: converted document accepted", False, f"{type(exc).__name__}: {exc}")
            continue
        stats["documents"] += 1
        stats["tilt_pages"] += len(conv.document.pages)
        stats["split_pages"] += len(conv.document.pages) > len(text.pages)
        encoder = prompt["encoder_prompt"]
        ocr = encoder["multi_modal_data"]["ocr_document"]
        problems = []
        if len(encoder["prompt_token_ids"]) != conv.tokens:
            problems.append(f"tokens {len(encoder['prompt_token_ids'])} != our count {conv.tokens}")
        prefix_len = len(prompt["encoder_prefix_prompt"]["prompt_token_ids"])
        if prefix_len != question_tokens(tokenizer, question.text, config.prefix_separator):
            problems.append("question token count differs")
        for index, (page, image) in enumerate(zip(conv.document.pages, ocr.images)):
            expected_height = max(1, round(page.height * config.image_width / page.width))
            if tuple(image.shape) != (1, expected_height, config.image_width) or page.image.width != config.image_width:
                problems.append(f"page {index}: image {tuple(image.shape)}, expected (1, {expected_height}, 768) uncropped")
            lo, hi = float(image.min()), float(image.max())
            if lo < 0 or hi > 1.0 + 1e-6:
                problems.append(f"page {index}: image values {lo:.3f}..{hi:.3f} outside 0..1")
            if hi - lo < 0.5 and page.image.getextrema() not in ((255, 255), (0, 0)):
                problems.append(f"page {index}: image contrast lost ({lo:.3f}..{hi:.3f})")
        rows = ocr.roi_bboxes
        heights = torch.tensor([img.shape[1] for img in ocr.images], dtype=torch.float32)
        below = int((rows[:, 4] > heights[rows[:, 0].long()] + 1).sum())
        if below:
            problems.append(f"{below} tokens below their page image")
        if float(ocr.token_bboxes[:, 2].max()) > tp.NORMALIZED_ISO_WIDTH + 1e-4:
            problems.append("a box past the page width")
        unsplit = to_tilt_document(doc_id, text, tp, max_pages=16, max_tokens=100000, count_tokens=counted)
        (plain,) = pre.preprocess(unsplit.document, [question])
        plain_ocr = plain["encoder_prompt"]["multi_modal_data"]["ocr_document"]
        plain_heights = torch.tensor([img.shape[1] for img in plain_ocr.images], dtype=torch.float32)
        stats["tokens_below_crop_unsplit"] += int((plain_ocr.roi_bboxes[:, 4] > plain_heights[plain_ocr.roi_bboxes[:, 0].long()] + 1).sum())
        check(f"{doc_id}: {conv.tokens} tokens, {len(conv.document.pages)} TILT page(s)", not problems, "; ".join(problems))

    long_question = tp.Question("x", "what is " * 200)
    try:
        pre.preprocess(conv.document, [long_question])
        check("question over max_question_length raises", False, "no error")
    except RuntimeError as exc:
        check("question over max_question_length raises the message we classify", str(exc).startswith(QUESTION_TOO_LONG), str(exc)[:80])
    print(json.dumps({"preprocessor": stats}), flush=True)


def image_mode_checks() -> None:
    """What the real TiltImageProcessor does with each mode sent as is (why we convert to "L")."""
    from PIL import Image

    from vllm.multimodal import tilt_processor as tp

    processor = tp.TiltImageProcessor(768, 2048)
    gray = Image.radial_gradient("L").resize((300, 400))  # 0..255, both extremes present
    inputs = {
        "L": gray, "RGB": gray.convert("RGB"), "RGBA": gray.convert("RGBA"), "LA": gray.convert("LA"),
        "CMYK": gray.convert("CMYK"), "1": gray.convert("1"),
        "P": gray.convert("RGB").quantize(16),  # palette indices, not gray levels
        "I;16": Image.frombytes("I;16", gray.size, bytes(b for v in gray.getdata() for b in (v * 257).to_bytes(2, "little"))),
        "I": gray.convert("I").point(lambda v: v * 257),  # a 16-bit scan widened to 32-bit
        "F": Image.eval(gray.convert("F"), lambda v: v / 255.0),  # float in 0..1
    }
    for mode, image in inputs.items():
        try:
            out = processor.process(image)
            lo, hi = float(out.min()), float(out.max())
            verdict = "read right" if abs(lo) < 0.02 and abs(hi - 1.0) < 0.02 else f"mis-scaled ({lo:.3f}..{hi:.3f})"
        except Exception as exc:  # noqa: BLE001
            verdict = f"raises {type(exc).__name__}"
        expected = {"L": "read right", "RGB": "read right"}.get(mode)
        ok = verdict == expected if expected else verdict != "read right"
        check(f"real TiltImageProcessor, mode {image.mode} sent as is: {verdict}", ok)


# --------------------------------------------------------------------------- part 2: engine


def _group(request_id: str, doc_tokens: int, question: int, max_tokens: int = 2):
    from vllm.inputs.data import token_inputs
    from vllm.sampling_params import SamplingParams
    from vllm.sequence import Sequence, SequenceGroup

    seq_id = abs(hash(request_id)) % 10**9
    return SequenceGroup(
        request_id, [Sequence(seq_id, token_inputs([0]), 16, eos_token_id=1)], arrival_time=time.time(),
        sampling_params=SamplingParams(max_tokens=max_tokens, temperature=0),
        encoder_seq=Sequence(seq_id, token_inputs([5] * doc_tokens), 16),
        encoder_prefix_seq=Sequence(seq_id, token_inputs([7] * question), 16),
    )


def _scheduler(max_num_seqs: int = 16):
    from vllm.config import CacheConfig
    from vllm.tilt.scheduler import Scheduler, TiltSchedulerConfig

    config = TiltSchedulerConfig(max_num_batched_tokens=2048, max_num_seqs=max_num_seqs, max_model_len=1024,
                                 max_num_batched_encoder_tokens=4096, encoder_chunk_size=1024)
    cache = CacheConfig(block_size=16, gpu_memory_utilization=0.8, swap_space=0, cache_dtype="auto")
    cache.num_gpu_blocks, cache.num_cpu_blocks = 20000, 0
    return Scheduler(config, cache, None)


def _run(scheduler, steps: int = 200) -> dict:
    """Drive the real scheduler as LLMEngine._process_model_outputs does; count encoder-only steps."""
    from vllm.sequence import Logprob, SequenceStatus

    encoder_only = done = 0
    for _ in range(steps):
        if not scheduler.has_unfinished_seqs():
            break
        _, out, _ = scheduler.schedule()
        groups = out.scheduled_seq_groups
        if groups and all(g.token_chunk_size == 0 for g in groups):
            encoder_only += 1
        for g in groups:
            group = g.seq_group
            group.update_num_computed_tokens(g.token_chunk_size)
            prefix = group.encoder_prefix_seq
            if prefix is not None and prefix.data.get_num_uncomputed_tokens() > 0:
                prefix.data.update_num_computed_tokens(prefix.data.get_num_uncomputed_tokens())
            if g.encoder_token_chunk_size > 0:
                group.encoder_seq.data.update_num_computed_tokens(g.encoder_token_chunk_size)
            if g.token_chunk_size > 0:
                for seq in group.get_seqs(status=SequenceStatus.RUNNING):
                    seq.append_token_id(9, {9: Logprob(0.0)})
                    if seq.get_output_len() >= group.sampling_params.max_tokens:
                        seq.status = SequenceStatus.FINISHED_LENGTH_CAPPED
                        done += 1
        scheduler.free_finished_seq_groups()
    return {"encoder_only_steps": encoder_only, "finished": done, "left": scheduler.get_num_unfinished_seq_groups()}


def engine_checks(fork: Path, label: str, patched: bool) -> None:
    import_fork(fork)
    from vllm.engine.llm_engine import LLMEngine
    from vllm.model_executor.layers.sampler import SamplerOutput

    from extraction.extractors.tilt.limits import TiltLimits

    # LLMEngine.abort_request -> TILT Scheduler.abort_seq_group
    scheduler = _scheduler()
    scheduler.add_seq_group(_group("r1", 500, 20))
    engine = types.SimpleNamespace(scheduler=[scheduler], seq_id_to_seq_group={})
    try:
        LLMEngine.abort_request(engine, ["r1"])
        outcome = "aborted"
    except TypeError as exc:
        outcome = f"TypeError: {exc}"
    check(f"[{label}] LLMEngine.abort_request on the TILT scheduler: {outcome}", (outcome == "aborted") == patched)
    if outcome != "aborted":
        scheduler.abort_seq_group(["r1"])  # what the worker falls back to
        check(f"[{label}] Scheduler.abort_seq_group(ids) directly empties the scheduler", not scheduler.has_unfinished_seqs())

    # the model runner's empty-step output
    try:
        SamplerOutput()
        check(f"[{label}] SamplerOutput() without outputs", False, "constructed")
    except TypeError as exc:
        check(f"[{label}] SamplerOutput() without outputs raises", True, str(exc))
    runner = (fork / "vllm" / "worker" / "tilt_model_runner.py").read_text()
    fixed = "SamplerOutput(outputs=None)" in runner and "return [SamplerOutput()]" not in runner
    returned = "SamplerOutput(outputs=None)" if fixed else "SamplerOutput()"
    check(f"[{label}] tilt_model_runner returns {returned} on an encoder-only step", fixed == patched)
    check(f"[{label}] SamplerOutput(outputs=None) is what LLMEngine tests for", SamplerOutput(outputs=None).outputs is None)

    # encoder-only steps: a long document alone, and the same document under our cap
    long_run = _run(_with(_scheduler(), [("long", 6000, 24)]))
    check(f"[{label}] a 6000-token document alone gets encoder-only steps", long_run["encoder_only_steps"] > 0, json.dumps(long_run))
    cap = TiltLimits().doc_token_cap(24)
    capped = _run(_with(_scheduler(), [(f"q{i}", cap, 24) for i in range(5)] + [("short", 300, 12)]))
    check(f"[{label}] documents at our unpatched cap ({cap} tokens) never get one", capped["encoder_only_steps"] == 0
          and capped["left"] == 0, json.dumps(capped))

    # the running-queue loop: more running requests than max_num_seqs
    code = (
        "import sys; sys.path.insert(0, %r); sys.argv=['x']; import benchmarks.tilt_contract_check as c; "
        "c.import_fork(c.Path(%r)); _, out, _ = c._over_budget_running_queue().schedule(); "
        "print(f'schedule() returned, {len(out.scheduled_seq_groups)} request(s) scheduled')" % (str(ROOT), str(fork))
    )
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        outcome = proc.stdout.strip().splitlines()[-1] if proc.returncode == 0 and proc.stdout.strip() else f"error {proc.stderr[-300:]}"
        hung = False
    except subprocess.TimeoutExpired:
        outcome, hung = "schedule() did not return within 60 s", True
    check(f"[{label}] running queue longer than max_num_seqs: {outcome}", hung != patched)


def _with(scheduler, groups):
    for request_id, tokens, question in groups:
        scheduler.add_seq_group(_group(request_id, tokens, question))
    return scheduler


def _over_budget_running_queue():
    """Two decoding requests in the running queue of a scheduler allowed one sequence.

    The state the loop at vllm/tilt/scheduler.py:453-458 cannot leave: the second request has
    no sequence budget and is not counted in it, and ``continue`` does not advance the queue.
    (Whether a live engine reaches such a queue is argued in 0003-scheduler-running-seq-budget.patch.)
    """
    from vllm.sequence import SequenceStatus

    scheduler = _scheduler(max_num_seqs=1)
    for request_id in ("d1", "d2"):
        group = _group(request_id, 200, 10, max_tokens=4)
        scheduler.block_manager.allocate(group)
        for seq in group.get_seqs():
            seq.status = SequenceStatus.RUNNING
            seq.data.update_num_computed_tokens(1)
        group.encoder_seq.data.update_num_computed_tokens(200)
        group.encoder_prefix_seq.data.update_num_computed_tokens(10)
        scheduler._add_seq_group_to_running(group)
    return scheduler


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fork", type=Path, required=True, help="checkout of Snowflake-Labs/arctic-tilt")
    parser.add_argument("--patched", type=Path, help="the same checkout with builder/tilt-patches/ applied")
    parser.add_argument("--datasets", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--limit", type=int, default=20, help="documents per dataset")
    parser.add_argument("--engine-only", metavar="LABEL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine_only:  # the patched checkout, run by the parent in its own process
        engine_checks(args.fork, args.engine_only, patched=True)
        return 1 if any(not r["ok"] for r in RESULTS) else 0

    import_fork(args.fork)
    documents = [d for name in ("sroie-dev", "invoices-odoo") for d in sroie_like(args.datasets / name, args.limit)]
    documents += list(synthetic_documents())
    tokenizer = train_tokenizer([w.text for _, text in documents for p in text.pages for w in p.words])
    preprocessor_checks(documents, tokenizer)
    image_mode_checks()
    engine_checks(args.fork, "fork as pinned", patched=False)
    if args.patched:  # a second vllm tree cannot load into this process (torch's operator registry)
        proc = subprocess.run([sys.executable, __file__, "--fork", str(args.patched), "--engine-only",
                               "fork + builder/tilt-patches"], capture_output=True, text=True)
        for line in proc.stdout.splitlines():
            if line.startswith(("PASS", "FAIL")):
                print(line, flush=True)
                RESULTS.append({"check": line[6:], "ok": line.startswith("PASS"), "detail": ""})
        if proc.returncode not in (0, 1):
            check("patched fork checks ran", False, proc.stderr[-500:])
    failed = [r for r in RESULTS if not r["ok"]]
    print(json.dumps({"checks": len(RESULTS), "failed": len(failed)}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
