"""Which modality combinations a late fusion trains (Table 1's rows). Kept apart from the report so
that the DAG can name the combinations without importing plotting."""
from __future__ import annotations

import itertools

SEP = "+"


def combinations(modalities: list[str], which: str = "all") -> list[str]:
    """Table 1's rows: ``all`` — every non-empty subset, unimodal first, then pairs, …;
    ``each`` — every modality alone and all of them together (n + 1 jobs instead of 2^n − 1)."""
    if which == "each":
        return list(dict.fromkeys([*modalities, SEP.join(modalities)]))
    if which != "all":
        raise ValueError(f"fusion combinations: {which!r}; expected 'all' or 'each'")
    return [SEP.join(c) for r in range(1, len(modalities) + 1) for c in itertools.combinations(modalities, r)]
