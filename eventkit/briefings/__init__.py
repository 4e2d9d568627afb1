"""The briefings feature."""
