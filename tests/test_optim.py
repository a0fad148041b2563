"""fastmlp.optim: update rules checked against the model's own gradients on both backends,
learning-rate schedules by value, and every bad hyperparameter named."""


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
)

D, K = 4, 3


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(20, D)), np.arange(20) % K


def classifier(backend):
    return MLP([D, 8, K], backend=backend, seed=0)


def smooth_model(backend):
    return MLP([D, 5, K], activation="tanh", backend=backend, dtype="float64", seed=2)


def one_step(model, X, y, optimizer):
    """Parameters and gradients before one full-batch step of ``optimizer``, then after."""
    before = [p.copy() for p in model.parameters()]
    grads = model.gradients(X, y)
    model.fit(X, y, epochs=1, batch_size=None, optimizer=optimizer, verbose=0)
    return before, grads, model.parameters()


# --------------------------------------------------------------------------- update rules


def test_sgd_steps_against_the_gradient(backend, data):
    before, grads, after = one_step(smooth_model(backend), *data, SGD(0.1))
    for p0, g, p1 in zip(before, grads, after):
        np.testing.assert_allclose(p1, p0 - 0.1 * g, rtol=1e-12, atol=1e-15)


def test_sgd_momentum_accumulates_the_previous_step(backend, data):
    model, optimizer = smooth_model(backend), SGD(0.1, momentum=0.9)
    _, g1, _ = one_step(model, *data, optimizer)
    middle, g2, after = one_step(model, *data, optimizer)
    for p1, a, b, p2 in zip(middle, g1, g2, after):
        np.testing.assert_allclose(p2, p1 - 0.1 * (0.9 * a + b), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("optimizer", "shrink"), [(Adam(0.01), 0.0), (AdamW(0.01), 0.01)],
                         ids=["adam", "adamw"])
def test_adam_first_step_is_lr_times_the_gradient_sign(backend, data, optimizer, shrink):
    # From zero state the bias-corrected moments are g and g**2: the step is lr * g / (|g| + eps),
    # after AdamW's decoupled decay p * (1 - lr * weight_decay).
    before, grads, after = one_step(smooth_model(backend), *data, optimizer)
    for p0, g, p1 in zip(before, grads, after):
        want = p0 * (1 - 0.01 * shrink) - 0.01 * g / (np.abs(g) + 1e-8)
        np.testing.assert_allclose(p1, want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("decay_biases", [True, False])
def test_weight_decay_reaches_the_biases_unless_told_not_to(backend, data, decay_biases):
    # L2 decay adds wd * p to the gradient: of every parameter (PyTorch's rule), or of the
    # weight matrices only (scikit-learn's alpha, Keras' kernel regularizers).
    optimizer = SGD(0.1, weight_decay=0.5, decay_biases=decay_biases)
    before, grads, after = one_step(smooth_model(backend), *data, optimizer)
    for p0, g, p1 in zip(before, grads, after):
        decayed = decay_biases or p0.ndim == 2
        want = p0 - 0.1 * (g + 0.5 * p0) if decayed else p0 - 0.1 * g
        np.testing.assert_allclose(p1, want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("make", [lambda: SGD(0.1, weight_decay=0.1, decay_biases=False),
                                  lambda: AdamW(decay_biases=False),
                                  lambda: RMSprop(decay_biases=False)])
def test_decay_biases_is_kept_in_config_and_repr(make):
    optimizer = make()
    assert optimizer.config()["decay_biases"] is False
    assert "decay_biases=False" in repr(optimizer)
    again = type(optimizer)(**optimizer.config())
    assert again.decay_biases is False and again.config() == optimizer.config()
    assert "decay_biases" not in SGD(0.1).config()  # the default, as files had it before


def test_decay_biases_must_be_a_bool():
    with pytest.raises(TypeError, match="decay_biases must be True or False, got 'no'"):
        Adam(decay_biases="no")


def test_rmsprop_first_step_divides_by_the_root_mean_square(backend, data):
    before, grads, after = one_step(smooth_model(backend), *data, RMSprop(0.01, rho=0.9))
    for p0, g, p1 in zip(before, grads, after):
        want = p0 - 0.01 * g / (np.sqrt(0.1 * g * g) + 1e-7)
        np.testing.assert_allclose(p1, want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("name", "cls"), [("sgd", SGD), ("rmsprop", RMSprop), ("adam", Adam),
                                           ("adamw", AdamW)])
def test_optimizers_by_name(backend, data, name, cls):
    model = classifier(backend)
    model.fit(*data, epochs=1, optimizer=name, verbose=0)
    assert type(model.optimizer) is cls


def test_adamw_defaults_to_decoupled_weight_decay():
    assert AdamW().weight_decay == 0.01 and AdamW().decoupled
    assert Adam().weight_decay == 0.0 and not Adam().decoupled


# --------------------------------------------------------------------------- schedules


def test_learning_rate_schedules():
    assert [StepDecay(1.0, 2, 0.5)(e) for e in range(5)] == [1.0, 1.0, 0.5, 0.5, 0.25]
    assert ExponentialDecay(2.0, 0.5)(3) == 0.25
    cosine = CosineDecay(1.0, epochs=4, lr_min=0.1)
    assert cosine(0) == 1.0 and cosine(4) == pytest.approx(0.1) and cosine(9) == pytest.approx(0.1)
    assert cosine(2) == pytest.approx(0.55)


def test_schedules_by_value_over_epochs():
    assert [StepDecay(1.0, 3)(e) for e in (0, 2, 3, 6)] == pytest.approx([1.0, 1.0, 0.1, 0.01])
    assert [ExponentialDecay(0.1, 0.9)(e) for e in range(3)] == pytest.approx([0.1, 0.09, 0.081])
    values = [CosineDecay(0.5, epochs=10)(e) for e in range(12)]
    assert values[0] == 0.5 and values[10] == values[11] == 0.0
    assert values[5] == pytest.approx(0.25)
    assert all(a > b for a, b in zip(values[:10], values[1:11]))


def test_schedules_print_their_arguments():
    assert repr(StepDecay(0.1, 5)) == "StepDecay(lr=0.1, step_size=5, gamma=0.1)"
    assert repr(ExponentialDecay(1, 0.5)) == "ExponentialDecay(lr=1.0, gamma=0.5)"
    assert repr(CosineDecay(1, 3)) == "CosineDecay(lr=1.0, epochs=3, lr_min=0.0)"
    assert repr(WarmupCosineDecay(1, 5, 2)) == ("WarmupCosineDecay(lr=1.0, epochs=5, warmup=2, "
                                                "lr_min=0.0)")


def test_warmup_cosine_climbs_linearly_then_follows_the_cosine():
    schedule = WarmupCosineDecay(0.9, epochs=6, warmup=2)
    values = [schedule(e) for e in range(8)]
    # Warm-up in equal steps to the peak at epoch `warmup`, then a cosine over 4 epochs.
    assert values[:3] == pytest.approx([0.3, 0.6, 0.9])
    assert values[2:] == pytest.approx([CosineDecay(0.9, epochs=4)(e) for e in range(6)])
    assert values[6] == values[7] == 0.0
    assert WarmupCosineDecay(1.0, epochs=3, lr_min=0.2)(0) == 0.5
    assert WarmupCosineDecay(1.0, epochs=3, lr_min=0.2)(9) == pytest.approx(0.2)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"warmup": 4}, ValueError, r"warmup must be fewer epochs than epochs .* got warmup=4 and "
                                r"epochs=4; shorten the warm-up or train longer"),
    ({"warmup": 0}, ValueError, r"warmup must be > 0, got 0"),
    ({"warmup": 1.5}, TypeError, r"warmup must be an integer, got float 1.5"),
    ({"epochs": 0}, ValueError, r"epochs must be > 0, got 0"),
    ({"lr_min": -0.1}, ValueError, r"lr_min must be >= 0, got -0.1"),
])
def test_warmup_cosine_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        WarmupCosineDecay(**{"lr": 0.1, "epochs": 4, **kwargs})


# --------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize("optimizer", [SGD, Adam, RMSprop])
@pytest.mark.parametrize("lr", [0, -0.1, float("nan")])
def test_learning_rate_must_be_positive(optimizer, lr):
    with pytest.raises(ValueError, match=rf"learning rate \(lr\) must be > 0, got {lr!r}"):
        optimizer(lr)


@pytest.mark.parametrize("make, what", [
    (lambda: SGD(True), r"learning rate \(lr\) must be a number"),
    (lambda: Adam(lr=False), r"learning rate \(lr\) must be a number"),
    (lambda: SGD(0.1, momentum=True), r"momentum must be a number"),
])
def test_bool_is_not_a_number_for_hyperparameters(make, what):
    with pytest.raises(TypeError, match=rf"{what}, got bool"):
        make()


@pytest.mark.parametrize("momentum", [1, 1.5, -0.1])
def test_momentum_outside_unit_interval(momentum):
    with pytest.raises(ValueError, match=rf"momentum must lie in \[0, 1\), got {momentum}"):
        SGD(0.1, momentum=momentum)


def test_nesterov_needs_momentum():
    with pytest.raises(ValueError, match=r"nesterov=True needs momentum > 0, e\.g\. "
                                         r"SGD\(lr, momentum=0\.9, nesterov=True\)"):
        SGD(0.1, nesterov=True)


def test_unknown_optimizer_name(backend, data):
    X, y = data
    with pytest.raises(ValueError, match=r"unknown optimizer 'adagrad'; valid optimizers are: "
                                         r"'sgd', 'rmsprop', 'adam', 'adamw'"):
        classifier(backend).fit(X, y, optimizer="adagrad", verbose=0)


@pytest.mark.parametrize("value", [float("nan"), np.float64("inf"), -0.5, "fast"])
def test_learning_rate_schedule_returning_garbage(backend, data, value):
    X, y = data
    optimizer = SGD(lambda epoch: 0.1 if epoch < 1 else value)
    with pytest.raises(ValueError, match=r"the learning-rate schedule returned .* for epoch 1; "
                                         r"a schedule must return a finite number >= 0"):
        classifier(backend).fit(X, y, epochs=3, optimizer=optimizer, verbose=0)


def test_schedule_returning_a_bool_and_optimizer_class_are_rejected():
    model = MLP([2, 3, 2], backend="numpy", seed=0)
    X, y = np.zeros((4, 2)), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="schedule returned True"):
        model.fit(X, y, optimizer=SGD(lambda epoch: True), verbose=0)
    with pytest.raises(TypeError, match=r"write Adam\(\)"):
        model.fit(X, y, optimizer=Adam, verbose=0)


def test_an_optimizer_pickled_before_decay_biases_existed_still_trains(data):
    import pickle

    old = SGD(0.1, weight_decay=0.5)
    del old.__dict__["decay_biases"]  # as a pickle from before the option holds it
    restored = pickle.loads(pickle.dumps(old))
    assert restored.decay_biases is True
    before, grads, after = one_step(smooth_model("numpy"), *data, restored)
    for p0, g, p1 in zip(before, grads, after):
        np.testing.assert_allclose(p1, p0 - 0.1 * (g + 0.5 * p0), rtol=1e-12, atol=1e-15)
