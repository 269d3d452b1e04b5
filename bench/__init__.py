"""Benchmarks run side by side with the reference tools (``python -m bench.<name>``)."""
