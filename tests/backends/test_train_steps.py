"""fastmlp.backends._train_steps: the blocks of rows a member's weight gradient and update
go in (the passes' values are compared with the layer-by-layer path in
tests/training/test_fused.py)."""

import numba
import pytest

from fastmlp.backends import _train_steps as S


@numba.njit
def _update_blocks(n_out, itemsize, share):
    return S.update_blocks(n_out, itemsize, share)


def _sizes(n_out, itemsize, share):
    count = _update_blocks(n_out, itemsize, share)
    # As the kernel splits a share into its blocks.
    blocks = [(share * blk // count, share * (blk + 1) // count) for blk in range(count)]
    assert blocks[0][0] == 0 and blocks[-1][1] == share
    assert all(end == begin for (_, end), (begin, _) in zip(blocks, blocks[1:]))
    return [end - begin for begin, end in blocks]


@pytest.mark.parametrize(("n_out", "itemsize", "share", "count"), [
    (128, 4, 392, 13),  # 784-128-10's first layer on each of two members: 30 or 31 rows
    (128, 4, 784, 25), (128, 4, 33, 2), (64, 8, 100, 4), (64, 4, 785, 13), (170, 4, 1000, 42),
])
def test_blocks_hold_at_most_the_block_bytes_and_never_few_rows(n_out, itemsize, share,
                                                                count):
    sizes = _sizes(n_out, itemsize, share)
    assert len(sizes) == count
    assert max(sizes) * n_out * itemsize <= S.UPDATE_BLOCK_BYTES
    # Nearly equal: none under half the fewest rows a block may have, so BLAS never gets a
    # product of a handful of rows (which it adds up in another order).
    assert max(sizes) - min(sizes) <= 1 and min(sizes) >= S.MIN_BLOCK_ROWS // 2


@pytest.mark.parametrize(("n_out", "itemsize", "share"), [
    (512, 4, 392),  # blocks of 8 rows: BLAS would pack d again for each
    (256, 4, 392), (128, 8, 392),  # 16 rows
    (128, 4, 32),  # the share fits one block
    (10, 4, 64),
])
def test_a_share_goes_whole_when_blocks_would_be_small_or_it_fits_one(n_out, itemsize, share):
    assert _sizes(n_out, itemsize, share) == [share]


def test_an_empty_share_is_one_empty_block():
    """The last member's share may hold no rows of ``W`` (a narrow layer, a big team) and
    still update the bias, in its last block."""
    assert _sizes(128, 4, 0) == [0]
