"""Session list and speaker-disjoint train/devel/test partitions of the demo corpus."""

from __future__ import annotations


def _speaker_partitions(n_speakers: int) -> list[str]:
    """Partition of each speaker: ~50/25/25, lowest speaker numbers first."""
    n_test = max(1, int(n_speakers / 4 + 0.5))
    n_devel = max(1, int(n_speakers / 4))
    n_train = n_speakers - n_test - n_devel
    return ["train"] * n_train + ["devel"] * n_devel + ["test"] * n_test


def demo_sessions(n_sessions: int = 8) -> list[dict]:
    """Describe the demo sessions: name, speaker and partition.

    Session ``i`` (0-based) is ``demo{i+1:02d}`` spoken by ``spk{i//2+1}``.
    Partitions are assigned per speaker (roughly 50/25/25 of the speakers,
    lowest speaker numbers first), so they are speaker-disjoint; with the
    default 8 sessions: demo01-04 train (spk1, spk2), demo05-06 devel (spk3),
    demo07-08 test (spk4).  Every partition gets at least one session when
    ``n_sessions >= 3``.

    Fewer than three speakers (``n_sessions <= 4``) cannot give three
    non-empty speaker-disjoint partitions; then test is kept speaker-disjoint
    from train and the overlap is put where it hurts least:
    4 sessions -> train spk1 x2, devel spk2, test spk2 (devel/test share spk2);
    3 sessions -> train spk1, devel spk1, test spk2 (train/devel share spk1);
    2 sessions -> train, devel (one speaker); 1 session -> train.
    """
    if n_sessions < 0:
        raise ValueError("n_sessions must be non-negative")
    n_speakers = (n_sessions + 1) // 2
    if n_speakers >= 3:
        by_speaker = _speaker_partitions(n_speakers)
        parts = [by_speaker[i // 2] for i in range(n_sessions)]
    else:
        parts = {1: ["train"], 2: ["train", "devel"],
                 3: ["train", "devel", "test"], 4: ["train", "train", "devel", "test"]
                 }.get(n_sessions, [])
    return [{"session": f"demo{i + 1:02d}", "speaker": f"spk{i // 2 + 1}", "partition": parts[i]}
            for i in range(n_sessions)]
