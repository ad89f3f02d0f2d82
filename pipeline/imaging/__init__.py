"""Pure image operations: file reading (io), cleanup, orientation, glyphs, previews.

May import: schemas, the top of pipeline/.
"""
