"""The matching feature."""
