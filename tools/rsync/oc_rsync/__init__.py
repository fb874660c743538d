"""oc_rsync: see README.md for what this package owns."""
