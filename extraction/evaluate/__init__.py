"""Evaluation harness: run the pipeline on labelled datasets and score every field.

``python -m extraction.evaluate DATASET_DIR ...``; see ``docs/evaluation.md``.
Importing this package never loads OCR or model engines; workers build the pipeline.
"""
