"""oc_flist: see README.md for what this package owns."""
