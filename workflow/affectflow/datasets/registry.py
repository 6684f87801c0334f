"""Adapter lookup: ``build_manifest(name, dataset_config)``."""
from __future__ import annotations

from typing import Callable

from . import avec, cremad, demo, emodb, generic_csv
from .manifest import DatasetError, Manifest

ADAPTERS: dict[str, Callable[[str, dict], Manifest]] = {
    "demo": demo.manifest,
    "csv": generic_csv.manifest,
    "cremad": cremad.manifest,
    "emodb": emodb.manifest,
    "avec": avec.manifest,
}


def build_manifest(name: str, dataset_config: dict) -> Manifest:
    adapter = dataset_config.get("adapter")
    if adapter not in ADAPTERS:
        raise DatasetError(f"dataset '{name}': unknown adapter '{adapter}'; known: {sorted(ADAPTERS)}")
    return ADAPTERS[adapter](name, dataset_config.get("options", {}))
