"""An int8 copy of RapidOCR's text recogniser: ``python builder/quantize_recognizer.py OUT.onnx``.

Dynamic quantisation (``onnxruntime.quantization.quantize_dynamic``): weights stored as int8,
activations quantised at run time, so no calibration images are needed and the copy is made
the same way every time. Only the operator types named by ``--ops`` are quantised (default: the
matrix products of the recogniser's sequence head, where most of its arithmetic is; int8
convolutions run slower than float ones on ONNX Runtime's CPU kernels). The recogniser's
character list (its ONNX metadata) is carried over, so RapidOCR can decode with the copy.

Use it with ``RAPIDOCR_REC_MODEL=OUT.onnx``; what it costs in accuracy and gives in speed is
measured in docs/speed.md (it is not the default).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def shipped_recognizer() -> Path:
    """The recogniser RapidOCR uses by default (the one its wheel ships)."""
    from extraction.ocr.rapid_models import model_file
    from rapidocr import RapidOCR

    engine = RapidOCR(params={"Global.log_level": "warning"})
    cfg = engine.cfg.Rec
    cfg.model_root_dir = engine.cfg.Global.model_root_dir
    return model_file(cfg)


def quantize(source: Path, target: Path, op_types: list[str]) -> Path:
    import onnx
    from onnxruntime.quantization import QuantType, quant_pre_process, quantize_dynamic

    with tempfile.TemporaryDirectory() as scratch:
        prepared = Path(scratch) / "prepared.onnx"
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        quantize_dynamic(str(prepared), str(target), weight_type=QuantType.QInt8, op_types_to_quantize=op_types)
    original, copy = onnx.load(str(source), load_external_data=False), onnx.load(str(target))
    kept = {entry.key for entry in copy.metadata_props}
    for entry in original.metadata_props:  # the character list, which quantisation drops
        if entry.key not in kept:
            copy.metadata_props.add(key=entry.key, value=entry.value)
    onnx.save(copy, str(target))
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="where to write the int8 copy (.onnx)")
    parser.add_argument("--source", type=Path, default=None, help="recogniser to quantise (default: RapidOCR's own)")
    parser.add_argument("--ops", default="MatMul", help="operator types to quantise, comma-separated (default: MatMul)")
    args = parser.parse_args()
    source = args.source or shipped_recognizer()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    quantize(source, args.out, [op for op in args.ops.split(",") if op])
    print(f"{source} ({source.stat().st_size / 1e6:.1f} MB) -> {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
