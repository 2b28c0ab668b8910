"""Generate the example model packages' tiny ONNX models, sample requests and drift baseline.

Deterministic: fixed seeds, fixed IR/opset versions and no timestamps, so rerunning rewrites the
committed files byte for byte (`python scripts/generate_models.py --check` verifies that).

- fraud-scorer (versions 6, 7): tabular MLP, input `features` FP32 [batch, 16] -> `score` FP32 [batch, 1].
- text-embedder (versions 2, 3): token ids INT64 [batch, seq] -> embedding lookup, mean pool, L2
  normalise -> `embedding` FP32 [batch, 16].
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ROOT / "model_packages"
IR_VERSION = 8  # readable by the onnxruntime inside SageMaker Triton 23.x-26.x
OPSET = 17
FEATURES = 16
HIDDEN = 8
VOCAB = 128
EMBED = 16


def _model(graph: onnx.GraphProto, doc: str) -> bytes:
    model = helper.make_model(
        graph,
        producer_name="inferstack-generate-models",
        producer_version="1",
        opset_imports=[helper.make_opsetid("", OPSET)],
        ir_version=IR_VERSION,
        doc_string=doc,
    )
    onnx.checker.check_model(model, full_check=True)
    return model.SerializeToString(deterministic=True)


def fraud_scorer(version: int) -> bytes:
    rng = np.random.default_rng(1000 + version)
    w1 = rng.normal(0, 0.5, (FEATURES, HIDDEN)).astype(np.float32)
    b1 = rng.normal(0, 0.1, (HIDDEN,)).astype(np.float32)
    w2 = rng.normal(0, 0.5, (HIDDEN, 1)).astype(np.float32)
    b2 = np.array([-1.0 + 0.1 * version], dtype=np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["features", "w1"], ["h0"]),
            helper.make_node("Add", ["h0", "b1"], ["h1"]),
            helper.make_node("Relu", ["h1"], ["h2"]),
            helper.make_node("MatMul", ["h2", "w2"], ["logit0"]),
            helper.make_node("Add", ["logit0", "b2"], ["logit"]),
            helper.make_node("Sigmoid", ["logit"], ["score"]),
        ],
        "fraud_scorer",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", FEATURES])],
        [helper.make_tensor_value_info("score", TensorProto.FLOAT, ["batch", 1])],
        initializer=[
            numpy_helper.from_array(w1, "w1"),
            numpy_helper.from_array(b1, "b1"),
            numpy_helper.from_array(w2, "w2"),
            numpy_helper.from_array(b2, "b2"),
        ],
    )
    return _model(graph, f"fraud-scorer v{version}: 16 features -> fraud probability")


def text_embedder(version: int) -> bytes:
    rng = np.random.default_rng(2000 + version)
    table = rng.normal(0, 1, (VOCAB, EMBED)).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Gather", ["table", "input_ids"], ["tokens"], axis=0),
            helper.make_node("ReduceMean", ["tokens"], ["pooled"], axes=[1], keepdims=0),
            helper.make_node("LpNormalization", ["pooled"], ["embedding"], axis=-1, p=2),
        ],
        "text_embedder",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", EMBED])],
        initializer=[numpy_helper.from_array(table, "table")],
    )
    return _model(graph, f"text-embedder v{version}: token ids (vocab {VOCAB}) -> {EMBED}-d unit embedding")


def _json(data: object) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()


def outputs() -> dict[Path, bytes]:
    """Every generated file and its content."""
    files: dict[Path, bytes] = {}
    fraud = PACKAGES / "fraud-scorer"
    for v in (6, 7):
        files[fraud / "triton" / "fraud-scorer" / str(v) / "model.onnx"] = fraud_scorer(v)
    rng = np.random.default_rng(7)
    sample = rng.normal(0, 1, (2, FEATURES)).round(4).astype(np.float32)
    files[fraud / "sample_request.json"] = _json(
        {"inputs": [{"name": "features", "shape": [2, FEATURES], "datatype": "FP32", "data": sample.ravel().tolist()}]}
    )
    population = rng.normal(0, 1, (1000, FEATURES)).astype(np.float64)
    files[fraud / "drift_baseline.json"] = _json(
        {
            "input": "features",
            "dataset": "drift_baseline.csv",
            "rows": int(population.shape[0]),
            "mean": population.mean(axis=0).round(6).tolist(),
            "std": population.std(axis=0).round(6).tolist(),
        }
    )
    # The baseline population itself (headerless CSV, one row per request, the `features` in order):
    # `inferstack package publish` computes Model Monitor's statistics.json / constraints.json from it.
    files[fraud / "drift_baseline.csv"] = "".join(
        ",".join(f"{x:.6f}" for x in row) + "\n" for row in population
    ).encode()
    text = PACKAGES / "text-embedder"
    for v in (2, 3):
        files[text / "triton" / "text-embedder" / str(v) / "model.onnx"] = text_embedder(v)
    ids = [[5, 17, 42, 99, 3, 0], [7, 7, 64, 12, 1, 2]]
    files[text / "sample_request.json"] = _json(
        {
            "inputs": [
                {"name": "input_ids", "shape": [2, 6], "datatype": "INT64", "data": [i for row in ids for i in row]}
            ]
        }
    )
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a committed file differs from a fresh run")
    args = parser.parse_args(argv)
    stale = []
    for path, content in sorted(outputs().items()):
        rel = path.relative_to(ROOT)
        if args.check:
            if not path.is_file() or path.read_bytes() != content:
                stale.append(str(rel))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        print(f"wrote {rel} ({len(content)} bytes)")
    if stale:
        print("stale generated files (run python scripts/generate_models.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
