"""Fisher's iris flowers with a 4-8-3 network (the data ships with fastmlp: no download).

Run: python examples/iris.py
"""

import fastmlp
from fastmlp.data import IRIS_CLASSES, load_iris

# 120 training and 30 test flowers, stratified; features standardised on the training part.
(X_train, y_train), (X_test, y_test) = load_iris(seed=0)

model = fastmlp.MLP([4, 8, 3], activation="relu", seed=0)
history = model.fit(X_train, y_train, epochs=100, batch_size=16,
                    optimizer=fastmlp.Adam(1e-2), verbose=0)

result = model.evaluate(X_test, y_test)
print(f"train accuracy {history.history['accuracy'][-1]:.3f}")
print(f"test loss {result['loss']:.4f}, test accuracy {result['accuracy']:.3f}")
for predicted, true in zip(model.predict(X_test[:6]), y_test[:6]):
    print(f"  predicted {IRIS_CLASSES[predicted]:<10}  true {IRIS_CLASSES[true]}")
