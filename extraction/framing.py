"""Pickled frames over a pipe, and the request loop of a child process that answers them.

Two kinds of child process speak it: the reader processes of a job (:mod:`extraction.reader`)
and the PaddleOCR process (:mod:`extraction.ocr.paddle_worker`, possibly run by another
virtualenv's Python, so this module imports only the standard library). A frame is an
8-byte big-endian length and a pickle (protocol 4). A request is a dict with an ``op``:
``init``, the work ops, ``close``. One loop serves them all so both children answer errors,
unknown ops and the end of their input the same way.
"""

from __future__ import annotations

import os
import pickle
import struct
import sys
from typing import Any, BinaryIO, Callable, Mapping, Optional

HEADER = struct.Struct("!Q")

#: A handler takes the request and returns the reply to send (None: send nothing).
Handler = Callable[[dict], Optional[dict]]


def write_frame(stream: BinaryIO, message: Any) -> None:
    payload = pickle.dumps(message, protocol=4)
    stream.write(HEADER.pack(len(payload)) + payload)
    stream.flush()


def read_frame(stream: BinaryIO) -> Any:
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        raise EOFError("the other side closed the pipe")
    (size,) = HEADER.unpack(header)
    payload = stream.read(size)
    if len(payload) < size:
        raise EOFError("truncated frame")
    return pickle.loads(payload)


def protocol_streams() -> tuple[BinaryIO, BinaryIO]:
    """``(requests, replies)`` of a child: stdin, and a private copy of stdout. Stdout itself is
    pointed at stderr, because libraries print to it and would corrupt the frames."""
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    return sys.stdin.buffer, replies


def serve_requests(
    handlers: Mapping[str, Handler],
    requests: BinaryIO,
    replies: BinaryIO,
    close_reply: Optional[dict] = None,
) -> int:
    """Answer requests until ``close`` or the end of ``requests``; returns the exit status (0).

    ``close`` is answered with ``close_reply`` when one is given. An exception in a handler
    (or an unknown op) is answered ``{"ok": False, "error": "Type: message"}`` and the loop
    goes on: the parent decides what the failure means.
    """
    while True:
        try:
            request = read_frame(requests)
        except EOFError:
            return 0
        op = request.get("op") if isinstance(request, dict) else None
        if op == "close":
            if close_reply is not None:
                write_frame(replies, close_reply)
            return 0
        try:
            handler = handlers.get(op) if isinstance(op, str) else None
            if handler is None:
                raise ValueError(f"unknown op {op!r}")
            reply = handler(request)
        except Exception as exc:  # noqa: BLE001 - reported to the parent
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        if reply is not None:
            write_frame(replies, reply)
