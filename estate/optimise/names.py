"""The optimiser's vocabulary, importable without numpy or pandas (the CLI builds its parser from it)."""

from __future__ import annotations

__all__ = ["MEASURES", "METHODS", "QUESTIONS"]

#: The three questions.
QUESTIONS = ("close", "open", "keep-24-7")
#: How harm is measured: residents beyond a threshold, or the population-weighted mean minutes.
MEASURES = ("beyond", "mean")
#: How an answer is found.
METHODS = ("heuristic", "exact")
