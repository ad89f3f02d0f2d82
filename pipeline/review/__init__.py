"""The clerk's queue, approval, suggestions, accounts, the manager's numbers.

May import: schemas, the top of pipeline/, db, extract, archive.
"""
