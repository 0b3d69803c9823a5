"""aduan HTTP API."""
