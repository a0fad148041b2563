"""XOR with a 2-4-2 network: the classic problem no straight line separates.

Run: python examples/xor.py
"""

import numpy as np

import fastmlp

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
y = np.array([[1, 0], [0, 1], [0, 1], [1, 0]])  # one-hot; integer labels [0, 1, 1, 0] work too

# Input 2, one hidden layer of 4 sigmoid units, output 2 (softmax + cross-entropy).
model = fastmlp.MLP([2, 4, 2], activation="sigmoid", seed=3)
history = model.fit(X, y, epochs=2000, batch_size=None,  # full batch, as gradient descent
                    optimizer=fastmlp.SGD(0.5, momentum=0.9), verbose=0)

print(f"loss after {len(history.epoch)} epochs: {history.history['loss'][-1]:.4f}")
print("predicted classes:", model.predict(X))  # expected [0 1 1 0]
print("probabilities:\n", model.predict_proba(X).round(3))
print("accuracy:", model.score(X, y.argmax(axis=1)))

# Backprop agrees with central differences (the numerical gradient of every parameter).
print(fastmlp.check_gradients(model, X, y))
