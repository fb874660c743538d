"""oc_wire: see README.md for what this package owns."""
