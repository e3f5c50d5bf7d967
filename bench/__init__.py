"""Benchmarks: `make bench` prints each figure next to its reference or bar. Never run by pytest."""
