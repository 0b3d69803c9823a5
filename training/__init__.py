"""Building and evaluating aduan models."""
