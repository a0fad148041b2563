"""Export to ONNX: a fastmlp model as an ONNX graph any ONNX runtime can serve.

The graph is the model's inference pass, one node per step: ``Gemm`` for a Dense layer
(``MatMul`` without bias; weights stay ``(n_in, n_out)``, so no transpose), ``Relu``,
``LeakyRelu``, ``Sigmoid`` and ``Tanh``; Dropout is the identity at inference and has no
node. The input is ``input`` ``(batch, n_inputs)`` with a dynamic batch dimension. A
classifier has two outputs, ``probabilities`` ``(batch, n_classes)`` (``Softmax`` over the
logits, as :meth:`~fastmlp.Sequential.predict_proba`) and ``label`` ``(batch,)`` (``ArgMax``
of the logits, as :meth:`~fastmlp.Sequential.predict`). A multi-label model
(``loss="binary_cross_entropy"``) has the same two names: ``probabilities``
``(batch, n_labels)`` (``Sigmoid`` of each logit) and ``label`` ``(batch, n_labels)``, the 0/1
indicators ``probabilities > 0.5`` as int64, as its ``predict``. A regressor has one output,
``values`` ``(batch, n_outputs)``. Weights keep the model's dtype (float32 or float64), and so
do the input and the float outputs.

``onnx`` is optional (``pip install "fastmlp[onnx]"``) and imported only when called.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._atomic import atomic_write
from .._version import __version__
from ._optional import require
from ._structure import read_structure

#: The opset written when none is asked for: old enough for every onnxruntime since 1.12,
#: new enough for everything the graph uses (Softmax over one axis arrived in 13).
DEFAULT_OPSET = 17
#: The oldest opset whose operators mean what the graph needs.
MIN_OPSET = 13
#: Names of the graph's input and outputs.
INPUT, PROBABILITIES, LABEL, VALUES = "input", "probabilities", "label", "values"
#: Protocol buffers cannot serialise a message past 2 GiB.
_PROTOBUF_LIMIT = 2**31 - 2**20


def to_onnx(model, path=None, opset=None):
    """Write ``model`` as an ONNX file at ``path`` and return the ONNX model.

    Parameters
    ----------
    model : Sequential, or an object with ``__fastmlp_model__()``
        A fastmlp model, or a wrapper that gives one (the scikit-learn estimators do; a
        classifier's ``classes_``, when it has them, become the values of the ``label`` output;
        a multi-label model's ``label`` stays one 0/1 column per label, in ``classes_`` order).
    path : str or path-like, optional
        Where to write the file, atomically (a temporary file renamed over ``path``, so an
        interrupted export never leaves half a file). None returns the model without writing.
    opset : int, optional
        The ONNX operator set to target, from 13 to the newest the installed onnx knows;
        default 17, which onnxruntime has run since version 1.12.

    Returns
    -------
    onnx.ModelProto
        Inputs ``input (batch, n_inputs)``; outputs ``probabilities (batch, n_classes)`` and
        ``label (batch,)`` for a classifier, ``probabilities (batch, n_labels)`` and
        ``label (batch, n_labels)`` (0/1 indicators) for a multi-label model,
        ``values (batch, n_outputs)`` for a regressor.

    Raises
    ------
    ImportError
        onnx is not installed (the message says how to install it).
    TypeError, ValueError
        ``model`` is not a fastmlp model, holds a layer no ONNX operator stands for (the
        message names the first one), or ``opset`` is out of range.
    """
    onnx = require("onnx", "to_onnx")
    structure = read_structure(model)
    opset = _check_opset(onnx, opset)
    proto = build_graph(onnx, structure, opset)
    onnx.checker.check_model(proto, full_check=True)
    if path is not None:
        data = proto.SerializeToString()
        with atomic_write(path, "ONNX file") as f:
            f.write(data)
    return proto


def _check_opset(onnx, opset):
    newest = onnx.defs.onnx_opset_version()
    if opset is None:
        return min(DEFAULT_OPSET, newest)
    if isinstance(opset, bool) or not isinstance(opset, numbers.Integral):
        raise TypeError(f"opset must be an integer, got {opset!r}")
    if not MIN_OPSET <= opset <= newest:
        raise ValueError(f"opset must lie in [{MIN_OPSET}, {newest}] (the newest the installed "
                         f"onnx {onnx.__version__} knows), got {opset}; leave it out for "
                         f"{min(DEFAULT_OPSET, newest)}")
    return int(opset)


def build_graph(onnx, structure, opset):
    """The ONNX model of ``structure`` (from :func:`read_structure`) at ``opset``.

    Returns
    -------
    onnx.ModelProto
        Not yet checked; :func:`to_onnx` runs ``onnx.checker`` on it.
    """
    helper, numpy_helper = onnx.helper, onnx.numpy_helper
    elem = helper.np_dtype_to_tensor_dtype(structure.dtype)
    size = sum(a.nbytes for step in structure.steps for a in (step.W, step.b) if a is not None)
    if size > _PROTOBUF_LIMIT:
        raise ValueError(f"the model's weights take {size / 2**30:.1f} GiB; an ONNX file holds "
                         f"at most 2 GiB")
    nodes, initializers = [], []
    current = INPUT
    for i, step in enumerate(structure.steps):
        out = f"{step.kind}_{i}"
        if step.kind == "dense":
            initializers.append(numpy_helper.from_array(step.W, f"W_{i}"))
            if step.b is None:
                nodes.append(helper.make_node("MatMul", [current, f"W_{i}"], [out], name=out))
            else:
                initializers.append(numpy_helper.from_array(step.b, f"b_{i}"))
                nodes.append(helper.make_node("Gemm", [current, f"W_{i}", f"b_{i}"], [out],
                                              name=out))
        elif step.kind == "leaky_relu":
            nodes.append(helper.make_node("LeakyRelu", [current], [out], name=out,
                                          alpha=step.alpha))
        else:
            op = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh"}[step.kind]
            nodes.append(helper.make_node(op, [current], [out], name=out))
        current = out

    batch = "batch"
    outputs = []
    if structure.head == "softmax":
        nodes.append(helper.make_node("Softmax", [current], [PROBABILITIES], axis=1,
                                      name="softmax"))
        outputs.append(helper.make_tensor_value_info(PROBABILITIES, elem,
                                                     [batch, structure.n_outputs]))
        outputs.append(_label_output(onnx, structure, current, nodes, initializers, batch))
    elif structure.head == "binary":
        outputs += _binary_outputs(onnx, structure, current, nodes, initializers, elem, batch)
    elif structure.head == "sigmoid":
        nodes.append(helper.make_node("Sigmoid", [current], [PROBABILITIES], name="sigmoid"))
        outputs.append(helper.make_tensor_value_info(PROBABILITIES, elem,
                                                     [batch, structure.n_outputs]))
        outputs.append(_indicator_output(onnx, structure, nodes, initializers, batch))
    else:
        nodes.append(helper.make_node("Identity", [current], [VALUES], name="values"))
        outputs.append(helper.make_tensor_value_info(VALUES, elem, [batch, structure.n_outputs]))

    graph = helper.make_graph(
        nodes, "fastmlp", [helper.make_tensor_value_info(INPUT, elem, [batch,
                                                                     structure.n_inputs])],
        outputs, initializer=initializers)
    opsets = [helper.make_opsetid("", opset)]
    proto = helper.make_model(graph, opset_imports=opsets, producer_name="fastmlp",
                              producer_version=__version__,
                              doc_string="A multilayer perceptron exported by fastmlp.")
    # The oldest IR version that can carry this opset, so older runtimes read the file too.
    proto.ir_version = helper.find_min_ir_version_for(opsets)
    helper.set_model_props(proto, {"fastmlp.head": structure.head,
                                   "fastmlp.n_inputs": str(structure.n_inputs)})
    return proto


def _label_output(onnx, structure, logits, nodes, initializers, batch):
    """Append the nodes of the ``label`` output: the argmax, mapped to ``labels`` if any."""
    helper = onnx.helper
    index = LABEL if structure.labels is None else "class_index"
    # ArgMax of the logits, not of the probabilities: the same winner as predict, with no
    # ties made by probabilities rounding to 1.
    nodes.append(helper.make_node("ArgMax", [logits], [index], axis=1, keepdims=0,
                                  name="argmax"))
    if structure.labels is None:
        return helper.make_tensor_value_info(LABEL, onnx.TensorProto.INT64, [batch])
    return _class_labels(onnx, structure.labels, nodes, initializers, batch)


def _class_labels(onnx, labels, nodes, initializers, batch):
    """Append the node mapping ``class_index`` to the class ``labels``: the ``label`` output."""
    helper = onnx.helper
    if labels.dtype.kind in "iu":
        labels = labels.astype(np.int64)
        elem = onnx.TensorProto.INT64
    elif labels.dtype.kind in "UO":
        labels = labels.astype(str).astype(object)
        elem = onnx.TensorProto.STRING
    else:
        raise ValueError(f"class labels of dtype {labels.dtype} cannot be exported; ONNX "
                         f"labels are integers or strings")
    initializers.append(onnx.numpy_helper.from_array(labels, "classes"))
    nodes.append(helper.make_node("Gather", ["classes", "class_index"], [LABEL], axis=0,
                                  name="classes"))
    return helper.make_tensor_value_info(LABEL, elem, [batch])


def _binary_outputs(onnx, structure, logit, nodes, initializers, elem, batch):
    """Append the nodes of a binary classifier with one logistic unit (scikit-learn's):
    ``probabilities`` ``(batch, 2)`` as ``[1 - p, p]`` and ``label``, the second class where
    ``p > 0.5`` (strictly, as predict), else the first."""
    helper, numpy_helper = onnx.helper, onnx.numpy_helper
    initializers += [numpy_helper.from_array(np.array(1, structure.dtype), "one"),
                     numpy_helper.from_array(np.array(0.5, structure.dtype), "threshold"),
                     numpy_helper.from_array(np.array([-1], np.int64), "flat")]
    nodes += [helper.make_node("Sigmoid", [logit], ["positive"], name="sigmoid"),
              helper.make_node("Sub", ["one", "positive"], ["negative"], name="complement"),
              helper.make_node("Concat", ["negative", "positive"], [PROBABILITIES], axis=1,
                               name="probabilities"),
              helper.make_node("Greater", ["positive", "threshold"], ["above"],
                               name="threshold"),
              helper.make_node("Cast", ["above"], ["above_int"], to=onnx.TensorProto.INT64,
                               name="cast"),
              helper.make_node("Reshape", ["above_int", "flat"], ["class_index"],
                               name="class_index")]
    probabilities = helper.make_tensor_value_info(PROBABILITIES, elem, [batch, 2])
    return [probabilities, _class_labels(onnx, structure.labels, nodes, initializers, batch)]


def _indicator_output(onnx, structure, nodes, initializers, batch):
    """Append the nodes of a multi-label model's ``label`` output: 0/1 per label, int64."""
    helper = onnx.helper
    # The probabilities against 0.5, strictly, as predict (and scikit-learn's multi-label
    # predict) do; not the logits against 0, which differ where the sigmoid of a tiny
    # positive logit rounds to exactly 0.5.
    initializers.append(onnx.numpy_helper.from_array(np.array(0.5, structure.dtype),
                                                     "threshold"))
    nodes.append(helper.make_node("Greater", [PROBABILITIES, "threshold"], ["above"],
                                  name="threshold"))
    nodes.append(helper.make_node("Cast", ["above"], [LABEL], to=onnx.TensorProto.INT64,
                                  name="indicators"))
    return helper.make_tensor_value_info(LABEL, onnx.TensorProto.INT64,
                                         [batch, structure.n_outputs])
