"""Local use without a server: the ``extract`` command and ``extraction.extract(...)``.

Both run the serverless worker's own :class:`~extraction.pipeline.Pipeline` in this process
(or in a pool of processes, one pipeline each) and return its result models unchanged.
Modules: :mod:`.inputs` (what to read), :mod:`.api` (pipelines per process, running
documents), :mod:`.writers` (JSON, JSONL, CSV), :mod:`.cli` (the command).
"""
