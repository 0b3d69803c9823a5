"""aduan: command-line entry point (see aduan.cli)."""
