"""Personal data across apps: export, rectification, consent, erasure, register, retention."""
