"""``fastmlp export``: write a saved model as an ONNX file."""

from __future__ import annotations

import os
import sys

import numpy as np

from ..export import to_onnx
from ..loading import load
from ._errors import CLIError
from ._report import check_output


def run(args, out=None):
    """Convert the model file ``args.model`` to ONNX at ``args.output``."""
    out = out or sys.stdout
    if not os.path.isfile(args.model):
        raise CLIError(f"{args.model}: no such model file" if not os.path.isdir(args.model)
                       else f"{args.model} is a folder, not a model file")
    check_output(args.output, "OUT.onnx", "ONNX file")
    model = load(args.model, backend="numpy")  # ModelFileError: one line, from main
    try:
        proto = to_onnx(model, args.output, opset=args.opset)
    except ImportError as err:
        raise CLIError(str(err)) from None
    graph = proto.graph
    width = model.n_inputs
    outputs = ", ".join(f"{o.name} {_shape(o)}" for o in graph.output)
    print(f"wrote {args.output} (ONNX opset {proto.opset_import[0].version}, "
          f"{np.dtype(model.dtype).name})",
          file=out)
    print(f"input   input [batch, {width}]", file=out)
    print(f"outputs {outputs}", file=out)
    return 0


def _shape(value_info):
    dims = value_info.type.tensor_type.shape.dim
    return "[" + ", ".join(d.dim_param or str(d.dim_value) for d in dims) + "]"
