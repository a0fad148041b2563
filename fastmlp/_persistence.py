"""How a model leaves the process and comes back: its file (``save``) and its pickle.

:class:`Persistence` is the part of :class:`fastmlp.Sequential` that writes a model out, to a
file that :func:`fastmlp.load` reads back or to a pickle, and rebuilds on unpickling what is
left out of one. It relies on the model's ``config``, ``_gather_parameters`` and
``to_backend``, and on its ``_params``, ``_rng``, ``optimizer``, ``loss`` and ``backend``.
"""

from __future__ import annotations

from .losses import LOSSES
from .optimizer_state import file_entries
from .serialization import write


class Persistence:
    """save, and pickling (``__getstate__`` / ``__setstate__``), for
    :class:`fastmlp.Sequential`."""

    # ------------------------------------------------------------------ pickling

    def __getstate__(self):
        # The backend is a module, which pickle refuses: keep its name and bind it again on
        # load. The flat vectors are rebuilt from the layers' arrays on load, so they are not
        # stored twice, and the loss keeps only per-batch buffers.
        state = self.__dict__.copy()
        for name in ("ops", "flat_params", "flat_grads", "plan", "_params", "_grads", "_loss"):
            state.pop(name, None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        # Pickling copies each layer's arrays on their own, so they are no longer views of one
        # flat vector: gather them into new flat vectors, as __init__ does.
        self._gather_parameters()
        self._loss = LOSSES[self.loss]()
        opt = self.optimizer
        if opt is not None and hasattr(opt, "flat_state"):
            opt.rebind(self._params)  # the state follows the new arrays
        self.to_backend(self.backend)

    # ------------------------------------------------------------------ the model file

    def save(self, path, include_optimizer=True):
        """Write the model to ``path`` (npz + JSON header, no pickle), ready to resume training.

        The file holds the architecture, the weights, the random generator's state and, when
        the model has one, the optimizer: its class, hyperparameters, schedule, step and
        epoch counts and state vectors. :func:`fastmlp.load` restores all of it, so training
        3 epochs, saving, loading and training 3 more gives the weights of 6 epochs in one go
        (same backend, dtype and thread count).

        An optimizer whose schedule is a callable of your own (or of a class of your own) is
        not saved, with a warning: its behaviour is code, which the file does not hold. The
        rest of the model is; after loading, ``fit`` starts a fresh optimizer.
        ``include_optimizer=False`` leaves the optimizer out, without a warning (a model for
        inference only).

        The write is atomic (the file is the old one or the complete new one, even on Ctrl-C),
        follows a symbolic link, and never replaces anything but a regular file; see
        :mod:`fastmlp.serialization` for the format.
        """
        header = {"config": self.config(), "random_state": self._rng.bit_generator.state}
        arrays = {f"param_{i}": p for i, p in enumerate(self._params)}
        if not isinstance(include_optimizer, bool):
            raise TypeError(f"include_optimizer must be True or False, got {include_optimizer!r}")
        if include_optimizer and self.optimizer is not None:
            info, state = file_entries(self.optimizer, self._params, path)
            if info is not None:
                header["optimizer"], arrays = info, {**arrays, **state}
        write(path, header, arrays)
