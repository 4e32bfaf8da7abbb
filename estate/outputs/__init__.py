"""What the planner's results look like to people: tables, maps, the report, the
evidence pack on disk, and the words and labels of the app.

Outputs are handed what they draw (coverage results, evidence, prepared
geometry); they never import :mod:`estate.planner`, and no domain module
imports them.
"""
