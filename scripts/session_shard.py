"""Rules {demo_session,transcribe,grid_labels,segment_session}_shard_*: the per-session rule's own script, run in
this one process once per session of the shard with that session's inputs, output, params,
wildcards and log, so every file (and log) is what the per-session job would write. Imports and
cached models (silero-vad, Whisper) are paid once per shard instead of once per session."""
import runpy
from pathlib import Path
from types import SimpleNamespace


class Named(list):
    """The part of Snakemake's named lists the rule scripts use: items by index, by name, keys()."""

    def __init__(self, items):
        named = items if isinstance(items, dict) else {}
        super().__init__(named.values() if named else items)
        self._names = list(named)
        for key, value in named.items():
            setattr(self, key, value)

    def keys(self):
        return self._names


script = Path(snakemake.scriptdir) / snakemake.params.script
for member in snakemake.params.members:
    job = SimpleNamespace(input=Named(member["input"]), output=Named(member["output"]), params=Named(member["params"]),
                          wildcards=Named(member["wildcards"]), log=Named(member["log"]), threads=snakemake.threads,
                          resources=snakemake.resources, scriptdir=snakemake.scriptdir)
    runpy.run_path(str(script), init_globals={"snakemake": job})
