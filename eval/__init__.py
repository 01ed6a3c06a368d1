"""Evaluation: the reference question set, robust quote matching and the metrics computed on it."""
