"""Handwritten digits (8x8 images shipped with fastmlp) with a 64-64-10 network.

Trains with a validation set and early stopping, then saves, reloads and checks the model.

Run: python examples/digits.py
"""

import os
import tempfile

import fastmlp
from fastmlp.data import load_digits, split

(X_train, y_train), (X_test, y_test) = load_digits()  # 1437 / 360 samples, 64 features
(X_train, y_train), (X_val, y_val) = split(X_train, y_train, test_size=0.1, seed=0,
                                           stratify=True)

model = fastmlp.MLP([64, 64, 10], seed=0)
print(model.summary())
history = model.fit(
    X_train, y_train, epochs=60, batch_size=32,
    optimizer=fastmlp.Adam(fastmlp.CosineDecay(3e-3, epochs=60)),
    validation_data=(X_val, y_val), verbose=0,
    callbacks=[fastmlp.EarlyStopping("val_loss", patience=8)],
)
print(f"stopped after {len(history.epoch)} epochs; "
      f"best val_loss {min(history.history['val_loss']):.4f}")
print("test:", model.evaluate(X_test, y_test))

with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "digits.npz")
    model.save(path)
    again = fastmlp.load(path)
    same = (again.predict(X_test) == model.predict(X_test)).all()
    print(f"saved to {os.path.basename(path)} and reloaded: same predictions: {same}")
