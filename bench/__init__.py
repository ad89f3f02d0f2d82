"""Benchmark support for ``sohoa bench``: baseline adapters and accuracy metrics.

``bench.metrics`` holds pure scoring functions (CER/WER, skew error, field exactness, row
splitting); ``bench.baselines`` wraps the tools users have today (bare Tesseract, OCRmyPDF,
the ``deskew`` and ``jdeskew`` packages) so sohoa's pipeline can be compared with them in the
same run. The optional baseline packages are imported lazily, so this package imports without
them.
"""
