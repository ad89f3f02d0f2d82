"""Object storage, manifests, ALTO, PDFs, export packages, verify.

May import: schemas, the top of pipeline/, db, imaging (PDFs and verify read page images).
"""
