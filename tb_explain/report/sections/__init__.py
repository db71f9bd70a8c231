"""The report's sections, in the order REPORT.md gives, one writer each.

A writer takes ``(facts.data, facts.arrays, text)`` and returns the section's
blocks; the section's title is the catalogue entry ``section.<key>``.
"""

from tb_explain.report.sections import (
    appendix,
    casestudies,
    control,
    importance,
    limits,
    overview,
    probeset,
    results,
    training,
    trust,
)

WRITERS = (
    ("control", control.write),
    ("summary", overview.write),
    ("model", training.write),
    ("probe", probeset.write),
    ("performance", results.write),
    ("drivers", importance.write),
    ("cases", casestudies.write),
    ("trust", trust.write),
    ("limitations", limits.write),
    ("appendix", appendix.write),
)
