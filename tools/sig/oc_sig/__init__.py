"""oc_sig: see README.md for what this package owns."""
