"""Dataset adapters: each turns a corpus on disk into a manifest (one row per session).

Manifest columns (see ``manifest.COLUMNS``): dataset, session, speaker, partition, video,
audio, transcript, labels, label_kind, emotion. Paths are absolute or relative to the
working directory; an empty string means the session lacks that modality.

``demo_corpus`` generates the embedded synthetic demo corpus that the ``demo`` adapter lists.
"""
from __future__ import annotations

from .manifest import COLUMNS, DatasetError, Manifest, check_files  # noqa: F401
from .registry import ADAPTERS, build_manifest  # noqa: F401
