"""The metadata of an ONNX file (its ``metadata_props``), read without loading the model.

RapidOCR's recognisers carry their character list there. OpenVINO compiles a model straight
from its path (so that its compiled-model cache is used and start-up stays short); reading the
characters through OpenVINO would parse the whole graph again, and the ``onnx`` package is not
a dependency. An ONNX file is one protobuf ``ModelProto`` message: only its top-level fields
are walked, the graph (field 7, tens of megabytes) is skipped by its length.
"""

from __future__ import annotations

import mmap
from pathlib import Path

#: ModelProto.metadata_props; StringStringEntryProto has key = 1, value = 2.
_METADATA_FIELD = 14
_VARINT, _FIXED64, _LENGTH_DELIMITED, _FIXED32 = 0, 1, 2, 5


class OnnxFormatError(ValueError):
    """The file is not a well-formed ONNX (protobuf) model."""


def _varint(data: "bytes | mmap.mmap", position: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if position >= len(data) or shift > 63:
            raise OnnxFormatError("truncated or malformed varint")
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, position
        shift += 7


def _fields(data: "bytes | mmap.mmap", start: int, end: int):
    """(field number, payload) of each length-delimited field between ``start`` and ``end``;
    the other wire types are skipped."""
    position = start
    while position < end:
        tag, position = _varint(data, position)
        field, wire = tag >> 3, tag & 7
        if wire == _VARINT:
            _, position = _varint(data, position)
        elif wire == _FIXED64:
            position += 8
        elif wire == _FIXED32:
            position += 4
        elif wire == _LENGTH_DELIMITED:
            length, position = _varint(data, position)
            if position + length > end:
                raise OnnxFormatError("a field runs past the end of the message")
            yield field, (position, position + length)
            position += length
        else:
            raise OnnxFormatError(f"unsupported protobuf wire type {wire}")


def read_metadata(path: str | Path) -> dict[str, str]:
    """The model's ``metadata_props`` as a dict (empty when it has none)."""
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        metadata: dict[str, str] = {}
        for field, (start, end) in _fields(data, 0, len(data)):
            if field != _METADATA_FIELD:
                continue
            entry = {number: bytes(data[a:b]).decode("utf-8") for number, (a, b) in _fields(data, start, end)}
            metadata[entry.get(1, "")] = entry.get(2, "")
        return metadata
