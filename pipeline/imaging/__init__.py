"""Page images: reading (io), cleanup, quality, orientation, the OCR copy, glyphs, previews.

May import: schemas, the top of pipeline/.
"""
