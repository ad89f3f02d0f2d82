"""Batches and books as they arrive: capture rules, separators, book checks, inventory.

May import: schemas, the top of pipeline/, db, imaging.
"""
