import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("AFFECTFLOW_SHARED_DATA", REPO.parent / "shared" / "data"))


def shared_data(sub: str) -> Path:
    """A folder of ../shared/data, or skip the test with the reason."""
    path = SHARED_DATA / sub
    if not path.is_dir():
        pytest.skip(f"real data folder {path} is absent (set AFFECTFLOW_SHARED_DATA to the shared data folder)")
    return path


@pytest.fixture
def one_torch_thread():
    """Tiny torch models run fastest on one thread (intra-op threads only add overhead at this size)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
