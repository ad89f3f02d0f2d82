"""The synthetic bench corpus: page renderers, degradations, the builder (test material).

May import: anything; nothing in pipeline/ imports it.
"""
