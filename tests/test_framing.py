"""The framed request loop shared by the reader processes and the PaddleOCR process."""

from __future__ import annotations

import io

import pytest

from extraction.framing import read_frame, serve_requests, write_frame


def _requests(*messages: object) -> io.BytesIO:
    stream = io.BytesIO()
    for message in messages:
        write_frame(stream, message)
    stream.seek(0)
    return stream


def _replies(stream: io.BytesIO) -> list:
    stream.seek(0)
    out = []
    while True:
        try:
            out.append(read_frame(stream))
        except EOFError:
            return out


def test_frames_round_trip_and_a_truncated_frame_is_the_end_of_input() -> None:
    stream = _requests({"op": "read", "data": b"\x00" * 10}, [1, 2])
    assert read_frame(stream) == {"op": "read", "data": b"\x00" * 10}
    assert read_frame(stream) == [1, 2]
    with pytest.raises(EOFError):
        read_frame(stream)
    truncated = io.BytesIO(_requests({"op": "x"}).getvalue()[:-2])
    with pytest.raises(EOFError, match="truncated"):
        read_frame(truncated)


def test_requests_are_answered_in_order_until_close() -> None:
    seen: list[str] = []

    def echo(request: dict) -> dict:
        seen.append(request["value"])
        return {"ok": True, "value": request["value"].upper()}

    replies = io.BytesIO()
    requests = _requests({"op": "echo", "value": "a"}, {"op": "echo", "value": "b"}, {"op": "close"}, {"op": "echo", "value": "never"})
    assert serve_requests({"echo": echo}, requests, replies) == 0
    assert seen == ["a", "b"]
    assert _replies(replies) == [{"ok": True, "value": "A"}, {"ok": True, "value": "B"}]


def test_close_is_answered_only_when_asked_and_the_end_of_input_ends_the_loop() -> None:
    replies = io.BytesIO()
    assert serve_requests({}, _requests({"op": "close"}), replies, close_reply={"ok": True}) == 0
    assert _replies(replies) == [{"ok": True}]
    replies = io.BytesIO()
    assert serve_requests({}, _requests(), replies, close_reply={"ok": True}) == 0
    assert _replies(replies) == []


def test_errors_and_unknown_ops_are_replies_and_the_loop_goes_on() -> None:
    def boom(request: dict) -> dict:
        raise KeyError("data")

    def quiet(request: dict) -> None:
        return None

    replies = io.BytesIO()
    serve_requests({"boom": boom, "quiet": quiet}, _requests({"op": "boom"}, {"op": "nope"}, "not a dict", {"op": "quiet"}), replies)
    assert _replies(replies) == [
        {"ok": False, "error": "KeyError: 'data'"},
        {"ok": False, "error": "ValueError: unknown op 'nope'"},
        {"ok": False, "error": "ValueError: unknown op None"},
    ]
