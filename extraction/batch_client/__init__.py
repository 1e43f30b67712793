"""``extract-batch``: send many documents to the extraction endpoint and collect JSONL results.

Modules: :mod:`.inputs` (what to send), :mod:`.api` (RunPod's /run and /status, real and
local dev server), :mod:`.runner` (grouping, concurrency, retries, resume), :mod:`.cli`.
"""
