"""Benchmarks run by ``make bench``: each prints its figures next to a floor measured in the
same run, and a verdict against the target."""
