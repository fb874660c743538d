"""oc_delta: see README.md for what this package owns."""
