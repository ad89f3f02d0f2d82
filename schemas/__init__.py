"""Typed contracts shared by every sohoa package (no internal imports).

``schemas.models`` holds the pydantic models, ``schemas.enums`` the plain enums (cheap to
import: the command line needs them at start-up).
"""
