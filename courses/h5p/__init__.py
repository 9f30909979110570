"""H5P activities: safe upload, shared library store, and a sandboxed player frame."""
