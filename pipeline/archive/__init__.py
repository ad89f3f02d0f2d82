"""Object keys, storage, manifests, ALTO, PDFs, export packages, verify.

May import: schemas, the top of pipeline/, db.
"""
