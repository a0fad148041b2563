"""Fashion-MNIST (70,000 28x28 clothing images) with the recipe ``fastmlp train`` uses.

Needs the data: ``apt-get install dataset-fashion-mnist`` (as root, or with sudo), or let
fastmlp download it (see docs/datasets.md). ``--plot`` also draws the pictures (matplotlib).

Run: python examples/fashion_mnist.py [--plot]
"""

# doc-test: slow reduce="epochs = 20=>epochs = 1"

import sys
import time

import fastmlp
from fastmlp.data import FASHION_MNIST_CLASSES, load_fashion_mnist, split

(X_train, y_train), (X_test, y_test) = load_fashion_mnist()  # float32 in [0, 1], (n, 784)
# Hold out 10% of the training images to watch over-fitting; the test set stays unseen.
(X_train, y_train), (X_val, y_val) = split(X_train, y_train, test_size=0.1, seed=0,
                                           stratify=True)

epochs = 20
model = fastmlp.MLP([784, 256, 128, 10], activation="relu", seed=0)
optimizer = fastmlp.AdamW(fastmlp.CosineDecay(1e-3, epochs), weight_decay=0.05)

start = time.perf_counter()
history = model.fit(X_train, y_train, epochs=epochs, batch_size=128, optimizer=optimizer,
                    validation_data=(X_val, y_val), verbose=2)
seconds = time.perf_counter() - start

result = model.evaluate(X_test, y_test)
print(f"test accuracy {result['accuracy']:.4f} (loss {result['loss']:.4f}) after "
      f"{seconds:.1f} s, {epochs * len(X_train) / seconds:,.0f} samples/s")

if "--plot" in sys.argv:
    from fastmlp import plots

    predicted = model.predict(X_test)
    plots.plot_history(history, "fashion-history.png")
    plots.plot_confusion_matrix(y_test, predicted, labels=FASHION_MNIST_CLASSES,
                                path="fashion-confusion.png")
    plots.plot_misclassified(X_test, y_test, predicted, labels=FASHION_MNIST_CLASSES,
                             path="fashion-misclassified.png")
    print("wrote fashion-history.png, fashion-confusion.png, fashion-misclassified.png")
