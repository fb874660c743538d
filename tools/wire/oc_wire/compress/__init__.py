"""Compressed token streams (upstream: token.c). zlib_tokens: rsync's deflate framing for
`-z` (old-style zlib, the only compression a batch records)."""
