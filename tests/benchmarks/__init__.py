"""Benchmarks run by `make bench`, from a Django shell with settings configured."""
