"""Benchmarks behind `faceapp bench ...`; each prints its figures and the baseline measured alongside."""
