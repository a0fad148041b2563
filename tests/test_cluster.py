"""fastmlp on a real Dask cluster: a LocalCluster of two worker processes on the loopback
interface, started and closed by the tests. Grid searches run under joblib's Dask backend,
Incremental trains block by block over a dask.array, and the workers' threads are set."""

import warnings

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
dask_array = pytest.importorskip("dask.array")
dask_ml_wrappers = pytest.importorskip("dask_ml.wrappers")

import joblib  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.metrics import r2_score  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from fastmlp.cluster import limit_worker_threads, worker_threads  # noqa: E402
from fastmlp.sklearn import MLPClassifier, MLPRegressor  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, processes=True, host="127.0.0.1",
                                  threads_per_worker=1, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def test_grid_search_on_the_cluster_matches_a_local_one(client, digits):
    X, y = digits
    grid = {"hidden_layer_sizes": [(8,), (32,)], "alpha": [1e-4, 1e-1]}
    estimator = MLPClassifier(max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with joblib.parallel_backend("dask"):
            remote = GridSearchCV(estimator, grid, cv=3).fit(X, y)
        local = GridSearchCV(estimator, grid, cv=3).fit(X, y)
    np.testing.assert_array_equal(remote.cv_results_["mean_test_score"],
                                  local.cv_results_["mean_test_score"])
    assert remote.best_params_ == local.best_params_
    np.testing.assert_array_equal(remote.predict(X), local.predict(X))
    # Both workers took part in the sweep.
    assert len(client.scheduler_info()["workers"]) == 2


def test_incremental_trains_block_by_block_over_a_dask_array(client, digits):
    X, y = digits
    X_blocks = dask_array.from_array(X, chunks=(300, X.shape[1]))
    y_blocks = dask_array.from_array(y, chunks=300)
    incremental = dask_ml_wrappers.Incremental(
        MLPClassifier(hidden_layer_sizes=(32,), learning_rate_init=0.01, random_state=0),
        scoring="accuracy", shuffle_blocks=False)
    for _ in range(5):  # five passes over the six blocks, in order
        incremental.partial_fit(X_blocks, y_blocks, classes=np.unique(y))
    fitted = incremental.estimator_
    assert fitted.t_ == 5 * len(X) and len(fitted.loss_curve_) == 5 * 6
    # The same blocks in the same order in this process give the same network.
    local = MLPClassifier(hidden_layer_sizes=(32,), learning_rate_init=0.01, random_state=0)
    for _ in range(5):
        for start in range(0, len(X), 300):
            local.partial_fit(X[start:start + 300], y[start:start + 300], classes=np.unique(y))
    for a, b in zip(fitted.coefs_, local.coefs_):
        np.testing.assert_array_equal(a, b)
    assert incremental.score(X_blocks, y_blocks) > 0.9


def test_incremental_regression(client):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1200, 5))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0, 3.0]) + 0.1 * rng.normal(size=1200)
    incremental = dask_ml_wrappers.Incremental(
        MLPRegressor(hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0))
    X_blocks = dask_array.from_array(X, chunks=(400, 5))
    y_blocks = dask_array.from_array(y, chunks=400)
    for _ in range(20):
        incremental.partial_fit(X_blocks, y_blocks)
    predicted = incremental.predict(X_blocks)  # lazily, block by block on the workers
    assert isinstance(predicted, dask_array.Array)
    # (dask-ml's own r2 scorer fails on dask arrays with this dask; scikit-learn's on the
    # computed predictions does not)
    assert r2_score(y, predicted.compute()) > 0.95


def test_workers_start_with_one_blas_thread_and_can_be_given_more(client):
    before = worker_threads(client)
    assert len(before) == 2 and all(t["blas"] == 1 for t in before.values())
    after = limit_worker_threads(client, blas_threads=2)
    assert all(t["blas"] == 2 for t in after.values())
    again = limit_worker_threads(client, blas_threads=1)
    assert all(t["blas"] == 1 for t in again.values())
    with pytest.raises(ValueError, match="blas_threads must be an integer >= 1"):
        limit_worker_threads(client, blas_threads=0)
