"""The data contract and the media core every other part builds on.

- ``config``: the config schema, defaults and cross-references.
- ``store``: the Parquet feature store (time-indexed rows, provenance, atomic writes).
- ``grid``, ``labels``, ``join``: the time grid, labels on it, and extractors joined on it.
- ``segments``: interpausal units, rolling windows and utterances as time spans.
- ``media``, ``video``, ``vad``, ``silence``: decoding audio and video, voice activity, levels.
- ``checks``, ``textfiles``: ``affectflow check`` and strict UTF-8 reading of text inputs.
- ``logs``, ``plan``: job logging and parsing of ``snakemake -n`` listings.
"""
