"""Batch stages, claims and leases, the work loop, progress.

May import: everything in pipeline/.
"""
