"""Models trained on the joined frame tables."""
