"""Optimizer state as data (state_dict / from_state), schedules as data, and the schedule's
epoch counting on over fit calls."""

import json
import pickle

import numpy as np
import pytest

from fastmlp import (
    MLP,
    SGD,
    Adam,
    AdamW,
    CosineDecay,
    ExponentialDecay,
    RMSprop,
    StepDecay,
    WarmupCosineDecay,
    schedules,
)
from fastmlp.optimizer_state import from_state

# Short runs on toy data, to compare bits, not to learn: no "training ended no better than
# chance" warnings.
pytestmark = pytest.mark.filterwarnings("ignore::fastmlp.training.health.DivergenceWarning")

D, K = 5, 3


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(1)
    return rng.normal(size=(30, D)), np.arange(30) % K


def model(backend="numpy", dtype="float32", dropout=0.2):
    return MLP([D, 7, K], dropout=dropout, backend=backend, dtype=dtype, seed=3)


# --------------------------------------------------------------------------- epochs over fits


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_schedule_counts_epochs_over_fit_calls(backend, data):
    one = model(backend)
    one.fit(*data, epochs=5, batch_size=8, optimizer=Adam(StepDecay(0.05, 2, 0.5)), verbose=0)
    split = model(backend)
    split.fit(*data, epochs=3, batch_size=8, optimizer=Adam(StepDecay(0.05, 2, 0.5)),
              verbose=0)
    assert split.optimizer.epochs == 3
    split.fit(*data, epochs=2, batch_size=8, verbose=0)
    assert split.optimizer.epochs == one.optimizer.epochs == 5
    assert split.optimizer.current_lr == one.optimizer.current_lr == 0.05 * 0.5**2
    for a, b in zip(one.parameters(), split.parameters()):
        np.testing.assert_array_equal(a, b)


def test_a_new_model_starts_the_schedule_again(data):
    opt = SGD(ExponentialDecay(0.1, 0.5))
    model().fit(*data, epochs=2, optimizer=opt, verbose=0)
    assert opt.epochs == 2 and opt.current_lr == 0.1 * 0.5
    model().fit(*data, epochs=1, optimizer=opt, verbose=0)
    assert opt.epochs == 1 and opt.current_lr == 0.1


def test_epochs_zero_leaves_the_count(data):
    m = model()
    m.fit(*data, epochs=2, optimizer=SGD(0.1), verbose=0)
    m.fit(*data, epochs=0, verbose=0)
    assert m.optimizer.epochs == 2


def test_pickle_keeps_the_epoch_count(data):
    m = model()
    m.fit(*data, epochs=2, optimizer=Adam(CosineDecay(0.01, 4)), verbose=0)
    twin = pickle.loads(pickle.dumps(m))
    assert twin.optimizer.epochs == 2
    twin.fit(*data, epochs=1, verbose=0)
    assert twin.optimizer.epochs == 3


# --------------------------------------------------------------------------- state as data


OPTIMIZERS = {
    "sgd": lambda: SGD(0.1, momentum=0.5),
    "sgd-nesterov-step": lambda: SGD(StepDecay(0.1, 2, 0.5), momentum=0.9, nesterov=True,
                                     weight_decay=1e-4),
    "rmsprop-exponential": lambda: RMSprop(ExponentialDecay(0.01, 0.9), rho=0.8, eps=1e-6),
    "adam-cosine": lambda: Adam(CosineDecay(0.01, 7, lr_min=1e-4), beta1=0.8,
                                weight_decay=0.01, decoupled=True),
    "adamw": lambda: AdamW(0.003, weight_decay=0.05),
}


@pytest.mark.parametrize("make", OPTIMIZERS.values(), ids=OPTIMIZERS)
def test_state_round_trips_through_json(make, data):
    optimizer = make()
    m = model(dtype="float64")
    m.fit(*data, epochs=2, batch_size=8, optimizer=optimizer, verbose=0)
    info, arrays = optimizer.state_dict()
    info = json.loads(json.dumps(info, allow_nan=False))
    twin = model(dtype="float64")
    restored = from_state(info, arrays, twin._params)
    assert type(restored) is type(optimizer)
    assert repr(restored) == repr(optimizer)
    assert restored.iterations == optimizer.iterations == 8
    assert restored.epochs == optimizer.epochs == 2
    assert restored.current_lr == optimizer.current_lr
    assert set(restored.flat_state) == set(optimizer.state_names)
    for name, flat in optimizer.flat_state.items():
        assert flat.any()
        np.testing.assert_array_equal(restored.flat_state[name], flat)
        # Restored vectors are the optimizer's own, with per-parameter views into them.
        assert restored.state[name][0].base is restored.flat_state[name]
    twin.optimizer = restored
    twin.fit(*data, epochs=1, batch_size=8, verbose=0)
    assert restored.iterations == 12 and restored.epochs == 3


def test_state_dict_copies_the_vectors(data):
    m = model()
    m.fit(*data, epochs=1, optimizer=Adam(), verbose=0)
    _, arrays = m.optimizer.state_dict()
    arrays["m"][...] = 0
    assert m.optimizer.flat_state["m"].any()


def test_adamw_config_is_its_constructor_arguments():
    assert AdamW(0.01).config() == {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
                                    "weight_decay": 0.01}
    assert "decoupled" not in repr(AdamW())


def test_custom_schedule_or_optimizer_cannot_be_stored():
    with pytest.raises(TypeError, match=r"schedule .*lambda.* cannot be stored.*StepDecay"):
        Adam(lambda epoch: 0.01).state_dict()

    class Halving(StepDecay):
        def __call__(self, epoch):
            return self.lr / 2

    with pytest.raises(TypeError, match="schedule"):
        SGD(Halving(0.1, 1)).state_dict()

    class MyAdam(Adam):
        pass

    with pytest.raises(TypeError, match="optimizer MyAdam cannot be stored"):
        MyAdam().state_dict()


@pytest.mark.parametrize("schedule", [StepDecay(0.1, 3, 0.2), ExponentialDecay(0.2, 0.95),
                                      CosineDecay(0.3, 10, 0.01),
                                      WarmupCosineDecay(0.3, 10, 3, 0.01)], ids=repr)
def test_schedules_round_trip(schedule):
    config = json.loads(json.dumps(schedules.to_config(schedule)))
    rebuilt = schedules.from_config(config)
    assert type(rebuilt) is type(schedule) and repr(rebuilt) == repr(schedule)
    assert [rebuilt(e) for e in range(12)] == [schedule(e) for e in range(12)]
    assert schedules.from_config(schedules.to_config(0.25)) == 0.25


# --------------------------------------------------------------------------- bad state


def good_state(data):
    m = model()
    m.fit(*data, epochs=1, optimizer=Adam(StepDecay(0.01, 2)), verbose=0)
    info, arrays = m.optimizer.state_dict()
    return json.loads(json.dumps(info)), arrays, model()._params


def edit(info, **changes):
    info = json.loads(json.dumps(info))
    for key, value in changes.items():
        if key.startswith("config_"):
            info["config"][key[len("config_"):]] = value
        elif value is None:
            del info[key]
        else:
            info[key] = value
    return info


@pytest.mark.parametrize(("changes", "message"), [
    ({"type": "Adagrad"}, r"unknown optimizer type 'Adagrad'; known types are: SGD, RMSprop"),
    ({"config_lr": {"type": "Warmup", "params": {}}}, r"unknown learning-rate schedule type "
                                                      r"'Warmup'"),
    ({"config_lr": {"type": "StepDecay", "params": {"lr": 0.1}}}, r"StepDecay schedule cannot "
                                                                  r"be rebuilt"),
    ({"config_lr": "fast"}, r"learning rate.*number or a schedule"),
    ({"config_lr": -1.0}, r"lr must be > 0"),
    ({"config_beta1": 1.5}, r"Adam optimizer cannot be rebuilt.*beta1"),
    ({"config_momentum": 0.9}, r"Adam optimizer cannot be rebuilt.*momentum"),
    ({"config": [1]}, r"Adam optimizer's config should be a dict"),
    ({"iterations": -1}, r"iterations should be a count"),
    ({"epochs": 1.5}, r"epochs should be a count"),
    ({"current_lr": float("inf")}, r"current_lr should be a finite number"),
    ({"iterations": None}, r"lacks iterations"),
])
def test_bad_description_names_the_part(data, changes, message):
    info, arrays, params = good_state(data)
    with pytest.raises(ValueError, match=message):
        from_state(edit(info, **changes), arrays, params)


def test_bad_state_vectors_name_the_vector(data):
    info, arrays, params = good_state(data)
    size = sum(p.size for p in params)
    cases = [
        ({"m": arrays["m"]}, r"keeps the state vectors m, v; missing v"),
        ({**arrays, "velocity": arrays["m"]}, r"unexpected velocity"),
        ({**arrays, "v": arrays["v"][:-1]}, rf"'v' holds {size - 1} values .*model has {size} "),
        ({**arrays, "m": arrays["m"].reshape(1, -1)}, r"'m' holds"),
        ({**arrays, "m": arrays["m"].astype(np.float64)}, r"'m' is float64.*float32"),
        ({**arrays, "v": np.full(size, np.nan, np.float32)}, r"'v' holds NaN"),
    ]
    for vectors, message in cases:
        with pytest.raises(ValueError, match=message):
            from_state(info, vectors, params)
    with pytest.raises(ValueError, match="should be a dict"):
        from_state(["Adam"], arrays, params)
