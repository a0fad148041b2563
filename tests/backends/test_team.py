"""fastmlp.backends._team: the shares of a range and the barrier of a team of threads."""

import threading
import time

import numba
import numpy as np
import pytest

from fastmlp.backends import _team as T


@numba.njit
def _share(n, member, team, grain):
    return T.share(n, member, team, grain)


@pytest.mark.parametrize("grain", [1, 16])
@pytest.mark.parametrize("team", [1, 2, 3, 5])
@pytest.mark.parametrize("n", [0, 1, 2, 7, 10, 70, 512])
def test_the_shares_cover_the_range_once_in_order_on_grain_boundaries(n, team, grain):
    shares = [_share(n, member, team, grain) for member in range(team)]
    assert shares[0][0] == 0 and shares[-1][1] == n
    for (_, end), (begin, _) in zip(shares, shares[1:]):
        assert end == begin and (end % grain == 0 or end == n)
    sizes = [end - begin for begin, end in shares]
    assert min(sizes) >= 0 and max(sizes) - min(sizes) <= max(1, grain)


@numba.njit
def _rows_grain(n_out, grain):
    return T.rows_grain(n_out, grain)


@pytest.mark.parametrize(("n_out", "rows"), [(512, 1), (128, 1), (784, 1), (10, 8), (12, 4),
                                             (1, 16), (24, 2)])
def test_rows_of_a_weight_gradient_are_shared_in_whole_grains(n_out, rows):
    assert _rows_grain(n_out, 16) == rows
    assert rows * n_out % 16 == 0  # the fewest rows that fill whole 16-element grains
    assert all(r * n_out % 16 for r in range(1, rows))


def test_a_range_narrower_than_a_grain_goes_to_one_member():
    assert [_share(10, member, 2, 16) for member in range(2)] == [(0, 0), (0, 10)]
    assert [_share(512, member, 2, 16) for member in range(2)] == [(0, 256), (256, 512)]


@numba.njit
def _block(by_cols, r0, r1, rows, cols, member, team, grain):
    return T.block(by_cols, r0, r1, rows, cols, member, team, grain)


def test_a_block_is_the_members_rows_or_its_share_of_every_rows_columns():
    assert _block(False, 64, 128, 128, 512, 1, 2, 16) == (64, 128, 0, 512)
    assert [_block(True, 64 * m, 64 * m + 64, 128, 512, m, 2, 16) for m in range(2)] == \
        [(0, 128, 0, 256), (0, 128, 256, 512)]


@numba.njit(nogil=True)
def _rounds(member, team, sync, slots, seen, rounds):
    """Each round every member writes the round into its slot, meets the others, then reads
    the smallest slot: with a working barrier, every member has written this round."""
    for r in range(rounds):
        slots[member] = r
        T.barrier(sync, team, 2 * r + 1)
        seen[member, r] = slots.min()
        T.barrier(sync, team, 2 * r + 2)  # nobody starts the next round before all read


@pytest.mark.parametrize("team", [1, 2, 3])
def test_no_member_passes_a_barrier_before_every_member_reaches_it(team):
    rounds = 2000
    sync, slots = np.zeros(8, np.int64), np.full(team, -1, np.int64)
    seen = np.full((team, rounds), -1, np.int64)
    threads = [threading.Thread(target=_rounds, args=(m, team, sync, slots, seen, rounds))
               for m in range(1, team)]
    for thread in threads:
        thread.start()
    _rounds(0, team, sync, slots, seen, rounds)
    for thread in threads:
        thread.join()
    np.testing.assert_array_equal(seen, np.tile(np.arange(rounds), (team, 1)))
    assert sync[0] == (2 * rounds * team if team > 1 else 0)


@numba.njit(nogil=True)
def _arrive(sync, team, generation):
    T.barrier(sync, team, generation)


@pytest.mark.skipif(not T.FUTEX, reason="members sleep on a futex on Linux (x86-64, arm64) only")
def test_a_member_that_waits_long_sleeps_until_the_last_one_arrives():
    """The late member arrives 20 ms after the other at each barrier, far past the spins and
    yields: the early one goes to sleep every time, and passes only once the late one has
    arrived (woken by it, or seeing it at its next look)."""
    sync, rounds, arriving = np.zeros(8, np.int64), 5, []

    def late():
        for generation in range(1, rounds + 1):
            time.sleep(0.02)
            arriving.append(time.perf_counter())
            _arrive(sync, 2, generation)

    _arrive(np.zeros(8, np.int64), 1, 1)  # compiled before the clock starts (a team of 1 returns)
    thread = threading.Thread(target=late)
    start = time.perf_counter()
    thread.start()
    passed = []
    for generation in range(1, rounds + 1):
        _arrive(sync, 2, generation)
        passed.append(time.perf_counter())
    thread.join()
    milliseconds = (passed[-1] - start) * 1000
    assert sync[T.ARRIVALS] == 2 * rounds and sync[T.SLEEPERS] == 0
    # Asleep each time, and really: a sleep ends when woken or after SLEEP_NANOSECONDS (1
    # ms), while a futex call that failed at once would have been repeated thousands of
    # times a millisecond.
    assert rounds <= sync[T.SLEEPS] <= 4 * milliseconds + rounds
    assert sync[T.RELEASED] == rounds
    assert all(left > came for left, came in zip(passed, arriving))
