"""oc_patch: see README.md for what this package owns."""
