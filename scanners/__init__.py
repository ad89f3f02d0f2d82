"""sohoa scanners package."""
