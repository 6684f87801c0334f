"""Feature extractors: each configured instance has a name (the store folder) and a ``kind``
(the implementation). Implementations are imported lazily so a run only pays for what it uses.
"""
from __future__ import annotations

from .base import Extractor, ExtractorError, SessionMedia, create, kinds, modality_of, run, run_shard  # noqa: F401
