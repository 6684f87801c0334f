"""Loading Hugging Face checkpoints strictly from local files, and hashing every weights file.

Every ``from_pretrained`` in affectflow goes through :func:`load_local`: it passes
``local_files_only=True``, so a hub id loads from the local Hugging Face cache or fails at once
with an error that names the folder looked in; nothing is downloaded at run time.

:func:`weights_files` lists the weights files a checkpoint folder (or a cached hub id) holds —
the one ``model.safetensors``/``pytorch_model.bin``, or *every* shard of a sharded checkpoint
(from its ``*.index.json``) — and :func:`weights_sha256` hashes them all for provenance.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from . import store

WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "model.bin")
INDEX_FILES = ("model.safetensors.index.json", "pytorch_model.bin.index.json")


class PretrainedNotLocal(OSError):
    """A checkpoint that is not on this machine; the message names where it was looked for."""


def cache_folder(hub_id: str) -> str:
    """The folder of the local Hugging Face cache that would hold ``hub_id``."""
    try:
        from huggingface_hub import constants

        root = constants.HF_HUB_CACHE
    except ImportError:  # pragma: no cover - transformers depends on huggingface_hub
        root = str(Path.home() / ".cache" / "huggingface" / "hub")
    return str(Path(root) / ("models--" + hub_id.replace("/", "--")))


def where(ref: str) -> str:
    """Human description of the path a reference resolves to: the folder itself, or the cache entry."""
    if Path(ref).is_absolute() or ref.startswith((".", "~")) or Path(ref).exists():
        return f"the folder '{ref}'"
    return (f"'{ref}': no local folder of that name, and as a hub id not in the local cache folder "
            f"'{cache_folder(ref)}'")


def load_local(loader, ref: str, what: str, **kw):
    """``loader(ref, local_files_only=True, **kw)``; a clear :class:`PretrainedNotLocal` if the
    files are not here. ``what`` names the caller (e.g. ``extractor 'w2v'``) in the message."""
    try:
        return loader(str(ref), local_files_only=True, **kw)
    except (OSError, ValueError) as exc:
        raise PretrainedNotLocal(
            f"{what}: cannot load {where(str(ref))}. from_pretrained runs with local files only (nothing is "
            f"downloaded at run time): give a local folder with config.json and its weights, or put the "
            f"checkpoint in the Hugging Face cache first. ({exc})") from exc


def _cached(hub_id: str, filename: str) -> str | None:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover
        return None
    hit = try_to_load_from_cache(hub_id, filename)
    return hit if isinstance(hit, str) else None


def weights_files(ref: str) -> list[str]:
    """Every weights file of the checkpoint ``ref`` (local folder or cached hub id), sorted; [] if none found."""
    folder = Path(ref)
    if folder.is_dir():
        locate = lambda name: str(folder / name) if (folder / name).exists() else None  # noqa: E731
    else:
        locate = lambda name: _cached(str(ref), name)  # noqa: E731
    for name in WEIGHT_FILES:
        hit = locate(name)
        if hit:
            return [hit]
    for index in INDEX_FILES:
        hit = locate(index)
        if hit:
            shards = sorted(set(json.loads(Path(hit).read_text())["weight_map"].values()))
            found = [locate(s) for s in shards]
            missing = [s for s, f in zip(shards, found) if f is None]
            if missing:
                raise PretrainedNotLocal(f"{where(str(ref))}: the index '{hit}' lists shards that are not there: {missing}")
            return found
    if folder.is_dir():
        return [str(p) for p in sorted(folder.glob("model-*-of-*.safetensors"))]
    return []


def files_sha256(files: list[str]) -> str | None:
    """sha256 of one weights file; for several (shards), sha256 over the lines ``<name> <sha256>``."""
    if not files:
        return None
    if len(files) == 1:
        return store.sha256_file(files[0])
    lines = "".join(f"{Path(f).name} {store.sha256_file(f)}\n" for f in sorted(files, key=lambda f: Path(f).name))
    return hashlib.sha256(lines.encode()).hexdigest()


def weights_sha256(ref: str) -> str | None:
    return files_sha256(weights_files(ref))
