"""From OCR words to checked fields: kinds, forms, registers, TTHC, parsers, look-ups.

May import: schemas, the top of pipeline/, imaging.
"""
