"""Ways to store the reader's ONNX graph small: which products are int8 and whether activations stay float.

`quantize_dynamic` (the first shipped reader) quantizes each matrix product's *activations* to uint8 at run
time, one scale per tensor; on this model that moved the relevance probability by up to 0.43 against torch.
`weight_only` rewrites such a graph so that only the stored weights are int8: each
DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul chain becomes DequantizeLinear(weight) -> MatMul on the
float activations (or, with `fold`, a float initializer), so the file stays small and the arithmetic float.

`float16_weights` stores a float graph's product weights as float16 (float arithmetic, half the size);
`write_variant` makes each of `VARIANTS` from the float graph that `models.reader.train` exports.

`python -m models.reader.export IN.onnx OUT.onnx --fold none|fp32|fp16` rewrites a `quantize_dynamic` graph.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


def weight_only(model, fold: str = "none"):  # type: ignore[no-untyped-def]
    """`model` (an onnx ModelProto quantized by `quantize_dynamic`) with float activations.

    fold: "none" keeps the int8 weights and dequantizes them in the graph (DequantizeLinear, per tensor or
    per column), "fp32"/"fp16" stores the dequantized weights as float initializers (fp16 ones are cast
    back to float in the graph)."""
    import onnx
    from onnx import helper, numpy_helper

    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    producer = {o: n for n in graph.node for o in n.output}
    consumers: dict[str, list] = {}  # type: ignore[type-arg]
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    removed: set[int] = set()
    added_nodes = []
    added_inits = []
    replaced_at: dict[int, list] = {}  # type: ignore[type-arg]  # node index -> nodes put in its place
    index_of = {id(n): i for i, n in enumerate(graph.node)}
    for node in graph.node:
        if node.op_type != "MatMulInteger":
            continue
        quantized_input, weight, _, weight_zero = node.input
        quantizer = producer[quantized_input]
        assert quantizer.op_type == "DynamicQuantizeLinear", quantizer.op_type
        [cast] = consumers[node.output[0]]
        [rescale] = consumers[cast.output[0]]
        assert cast.op_type == "Cast" and rescale.op_type == "Mul", (cast.op_type, rescale.op_type)
        scales = rescale.input[1] if rescale.input[0] == cast.output[0] else rescale.input[0]
        scale_mul = producer[scales]  # Mul(activation scale, weight scale)
        weight_scale = next(i for i in scale_mul.input if i in inits)
        q = numpy_helper.to_array(inits[weight]).astype(np.float32)
        zero = numpy_helper.to_array(inits[weight_zero]).astype(np.float32)
        scale = numpy_helper.to_array(inits[weight_scale]).astype(np.float32)
        float_weight = weight + "_float"
        new = []
        if fold == "none":
            axis = [helper.make_attribute("axis", 1)] if scale.ndim == 1 and scale.size > 1 else []
            dq = helper.make_node("DequantizeLinear", [weight, weight_scale, weight_zero], [float_weight],
                                  name=node.name + "_weight_dequantize")
            dq.attribute.extend(axis)
            new.append(dq)
        else:
            values = (q - zero) * scale
            if fold == "fp16":
                added_inits.append(numpy_helper.from_array(values.astype(np.float16), float_weight + "16"))
                new.append(helper.make_node("Cast", [float_weight + "16"], [float_weight], to=onnx.TensorProto.FLOAT,
                                            name=node.name + "_weight_cast"))
            else:
                added_inits.append(numpy_helper.from_array(values.astype(np.float32), float_weight))
        new.append(helper.make_node("MatMul", [quantizer.input[0], float_weight], [rescale.output[0]],
                                    name=node.name.replace("_quant", "") + "_float"))
        removed.update({index_of[id(node)], index_of[id(cast)], index_of[id(rescale)]})
        replaced_at[index_of[id(rescale)]] = new
    nodes = []
    for i, node in enumerate(graph.node):
        if i in replaced_at:
            nodes.extend(replaced_at[i])
        elif i not in removed:
            nodes.append(node)
    nodes.extend(added_nodes)
    # drop what nothing reads any more (the activation quantizers and their scale products)
    outputs = {o.name for o in graph.output}
    while True:
        read = {name for n in nodes for name in n.input} | outputs
        kept = [n for n in nodes if any(o in read for o in n.output)]
        if len(kept) == len(nodes):
            break
        nodes = kept
    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.extend(added_inits)
    read = {name for n in graph.node for name in n.input}
    unused = [i for i in graph.initializer if i.name not in read]
    for initializer in unused:
        graph.initializer.remove(initializer)
    onnx.checker.check_model(model)
    return model


def float16_weights(model):  # type: ignore[no-untyped-def]
    """`model` with each matrix product's float weight stored as float16 and cast back to float in the graph:
    onnxruntime folds the cast when it loads the model, so the arithmetic stays float32 and the file halves."""
    import onnx
    from onnx import helper, numpy_helper

    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    nodes = []
    for node in graph.node:
        weight = node.input[1] if node.op_type == "MatMul" and len(node.input) > 1 else None
        if weight in inits and inits[weight].data_type == onnx.TensorProto.FLOAT and len(inits[weight].dims) == 2:
            values = numpy_helper.to_array(inits[weight])
            graph.initializer.remove(inits.pop(weight))
            graph.initializer.append(numpy_helper.from_array(values.astype(np.float16), weight + "_fp16"))
            nodes.append(helper.make_node("Cast", [weight + "_fp16"], [weight], to=onnx.TensorProto.FLOAT,
                                          name=weight + "_cast"))
        nodes.append(node)
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    return model


def write_variant(fp32: Path, out: Path, variant: str) -> None:
    """Write the float graph `fp32` as one of `VARIANTS` to `out`."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    staging = out.with_suffix(".staging.onnx")
    if variant == "int8":  # weights and activations int8 (the first shipped reader)
        quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8)
    elif variant == "int8-channel":  # the same, one weight scale per output column
        quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8, per_channel=True)
    elif variant in ("fp16", "int8-weights"):
        # the embeddings' lookups int8 (a third of the weights, read one row at a time), then the products'
        # weights float16 (float arithmetic), or int8 dequantized in the graph (onnxruntime runs that as
        # MatMulNBits, its activations int8 in blocks)
        quantize_dynamic(str(fp32), str(staging), weight_type=QuantType.QInt8,
                         op_types_to_quantize=["Gather"] if variant == "fp16" else ["Gather", "MatMul"])
        model = onnx.load(str(staging))
        model = float16_weights(model) if variant == "fp16" else weight_only(model)
        onnx.save(model, str(out))
        staging.unlink()
    else:
        raise ValueError(f"unknown variant {variant!r} (known: {', '.join(VARIANTS)})")


VARIANTS = ("int8", "int8-channel", "int8-weights", "fp16")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models.reader.export", description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="a graph quantized by quantize_dynamic")
    parser.add_argument("out", type=Path)
    parser.add_argument("--fold", choices=("none", "fp32", "fp16"), default="none")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    import onnx

    model = weight_only(onnx.load(str(args.source)), args.fold)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(args.out))
    print(f"{args.out}: {args.out.stat().st_size / 2**20:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
