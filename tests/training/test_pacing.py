"""fastmlp.training.pacing: trainer calls sized to last a fraction of a second."""

from fastmlp.training.loop import CALL_SECONDS
from fastmlp.training.pacing import Pacer


def test_calls_are_paced_to_a_fraction_of_a_second():
    pacer = Pacer(limit=1000, call_seconds=CALL_SECONDS)
    assert pacer.chunk(False) == 8  # the first call also compiles: small
    pacer.measured(8, 0.004)  # 0.5 ms per batch
    assert pacer.chunk(False) == int(CALL_SECONDS / 0.0005)
    assert pacer.chunk(True) == 1000 // 50  # a progress bar moves at least 50 times
