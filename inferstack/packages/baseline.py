"""The drift baseline in SageMaker Model Monitor's format, computed from a package's baseline dataset.

The package's `drift_baseline` JSON names its input and a headerless CSV of the baseline population
(`"dataset": "drift_baseline.csv"`, one row per request, the input's values in order). From it this
module computes the two files the data-quality job definition reads from
`baselines/<model>/<version>/` (inferstack.artifacts.baseline_prefix):

- `statistics.json`: "Schema for Statistics (statistics.json file)", SageMaker developer guide
  (model-monitor-byoc-statistics / model-monitor-interpreting-statistics, read 2026-12-02 via search):
  `version`, `dataset.item_count`, per feature `name`, `inferred_type`, `numerical_statistics` with
  `common.num_present/num_missing`, `mean`, `sum`, `std_dev`, `min`, `max` and `distribution.kll`
  (`buckets` of `lower_bound/upper_bound/count`, `sketch.parameters.c/k`, `sketch.data`).
- `constraints.json`: "Schema for Constraints (constraints.json file)" (model-monitor-byoc-constraints):
  `version`, per feature `name`, `inferred_type`, `completeness`, `num_constraints.is_non_negative`, and
  `monitoring_config` (`evaluate_constraints`, `emit_metrics`, `datatype_check_threshold`).

Feature names are `_c0`, `_c1`, ...: how Model Monitor names the columns of headerless CSV data.
The KLL sketch is exact: with no more values than `k`, every value stays in the sketch's first level.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inferstack.errors import InputError
from inferstack.json_input import decode_utf8, parse_bytes
from inferstack.packages.errors import PackageError

KLL_K = 2048
KLL_C = 0.64
BUCKETS = 10


@dataclass(frozen=True)
class Baseline:
    """The two Model Monitor files, as bytes ready to upload."""

    statistics: bytes
    constraints: bytes


def dataset_path(package_dir: Path, drift_baseline: str) -> tuple[Path, str]:
    """(CSV path, input name) named by the package's drift baseline JSON; PackageError if it names none."""
    path = package_dir / drift_baseline
    try:
        raw = path.read_bytes()
        doc = parse_bytes(raw, path, "run inferstack package validate")  # UTF-8, finite, bounded depth
    except OSError as exc:
        raise PackageError(
            f"{path} ==> cannot read the drift baseline ({exc.strerror}); run inferstack package validate"
        ) from None
    except InputError as exc:
        raise PackageError(exc.message) from None
    dataset = doc.get("dataset") if isinstance(doc, dict) else None
    if not isinstance(dataset, str) or not dataset:
        raise PackageError(
            f'{path} ==> at dataset\n  ==> names no baseline dataset; add "dataset": "<file>.csv" (the baseline '
            "population, one headerless CSV row per request) so publish can write Model Monitor's statistics"
        )
    from inferstack.packages.paths import package_file

    text = raw.decode("utf-8")  # parse_bytes checked it is UTF-8
    line = next((i for i, row in enumerate(text.splitlines(), start=1) if '"dataset"' in row), None)
    where = f"{path}:{line}" if line else str(path)
    return package_file(package_dir, dataset, where=where, field="dataset"), str(doc.get("input"))


def read_rows(path: Path, columns: int) -> list[list[float]]:
    """The CSV's rows as floats; PackageError naming the line of the first bad row."""
    try:
        text = decode_utf8(path.read_bytes(), path, "CSV")
    except OSError as exc:
        raise PackageError(f"{path} ==> cannot read the baseline dataset ({exc}); create it or fix dataset") from None
    except InputError as exc:
        raise PackageError(f"cannot read the baseline dataset: {exc.message}") from None
    rows: list[list[float]] = []
    for line, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row:
            continue
        if len(row) != columns:
            raise PackageError(
                f"{path}:{line} ==> has {len(row)} values but the input has {columns}; one value per input element"
            )
        try:
            values = [float(v) for v in row]
        except ValueError:
            raise PackageError(f"{path}:{line} ==> holds a value that is not a number; fix that row") from None
        if not all(math.isfinite(v) for v in values):
            raise PackageError(f"{path}:{line} ==> holds NaN or infinity; fix that row")
        rows.append(values)
    if not rows:
        raise PackageError(f"{path} ==> is empty; add the baseline population")
    return rows


def _feature_statistics(name: str, values: list[float]) -> dict[str, Any]:
    n = len(values)
    total = math.fsum(values)
    mean = total / n
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / n)
    low, high = min(values), max(values)
    width = (high - low) / BUCKETS or 1.0
    counts = [0] * BUCKETS
    for v in values:
        counts[min(BUCKETS - 1, int((v - low) / width))] += 1
    buckets = [
        {"lower_bound": low + i * width, "upper_bound": low + (i + 1) * width, "count": float(c)}
        for i, c in enumerate(counts)
    ]
    if n > KLL_K:
        raise PackageError(
            f"feature {name}: {n} baseline rows exceed {KLL_K}, the most an exact KLL sketch holds; "
            f"sample {KLL_K} rows for the baseline dataset"
        )
    return {
        "name": name,
        "inferred_type": "Fractional",
        "numerical_statistics": {
            "common": {"num_present": n, "num_missing": 0},
            "mean": mean,
            "sum": total,
            "std_dev": std,
            "min": low,
            "max": high,
            "distribution": {
                "kll": {
                    "buckets": buckets,
                    "sketch": {"parameters": {"c": KLL_C, "k": float(KLL_K)}, "data": [sorted(values)]},
                }
            },
        },
    }


def model_monitor_baseline(rows: list[list[float]]) -> Baseline:
    """statistics.json and constraints.json of a baseline population (rows of equal length)."""
    columns = list(zip(*rows, strict=True))
    names = [f"_c{i}" for i in range(len(columns))]
    statistics = {
        "version": 0.0,
        "dataset": {"item_count": len(rows)},
        "features": [_feature_statistics(n, list(c)) for n, c in zip(names, columns, strict=True)],
    }
    constraints = {
        "version": 0.0,
        "features": [
            {
                "name": n,
                "inferred_type": "Fractional",
                "completeness": 1.0,
                "num_constraints": {"is_non_negative": min(c) >= 0},
            }
            for n, c in zip(names, columns, strict=True)
        ],
        "monitoring_config": {
            "evaluate_constraints": "Enabled",
            "emit_metrics": "Enabled",
            "datatype_check_threshold": 0.1,
        },
    }

    def encode(doc: dict[str, Any]) -> bytes:
        return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()

    return Baseline(statistics=encode(statistics), constraints=encode(constraints))
