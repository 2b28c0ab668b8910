"""`inferstack package validate PATH`: a model package is consistent from manifest to graph to GPU.

Checks, in order, collecting every problem into one `PackageError`:

1. the manifest `model.yaml` against the pydantic schema (file:line:col errors from the loader);
2. `config.pbtxt` parsed with Triton's own `ModelConfig` protobuf and compared with the manifest
   (name, backend, max_batch_size, inputs/outputs, dynamic batching, instance groups);
3. every version directory: the model file exists and, for ONNX, the graph's inputs and outputs
   match (names, data types, dims, the batch dimension vs `max_batch_size`);
4. the sample request run once with onnxruntime on the CPU against every version, its outputs
   checked against the declared shapes;
5. GPU memory need (per GPU: `gpu_memory_gib` x GPU instances) <= HEADROOM x the smallest GPU of
   every instance type the environments deploy the package on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inferstack.catalog import spec as instance_spec
from inferstack.config.environment import Environment
from inferstack.config.loader import InputError, Project, load_environment, load_model_package
from inferstack.config.model_package import ModelPackage, TensorSpec
from inferstack.json_input import parse_bytes
from inferstack.packages.errors import PackageError
from inferstack.packages.paths import package_file

HEADROOM = 0.8
"""Share of a GPU's memory a package may plan to use; the rest is CUDA context, Triton and fragmentation."""

MODEL_FILES = {
    "onnxruntime": "model.onnx",
    "tensorrt_plan": "model.plan",
    "pytorch_libtorch": "model.pt",
    "python": "model.py",
}
"""The file Triton loads from `<version>/` for each backend."""

_BACKEND_NAMES = {
    "onnxruntime": {"onnxruntime", "onnxruntime_onnx"},
    "tensorrt_plan": {"tensorrt", "tensorrt_plan"},
    "pytorch_libtorch": {"pytorch", "pytorch_libtorch"},
    "python": {"python"},
}
"""Accepted config.pbtxt `backend` / `platform` values per manifest backend."""

# ONNX TensorProto element types <-> Triton data types.
_ONNX_TO_TRITON = {1: "TYPE_FP32", 10: "TYPE_FP16", 7: "TYPE_INT64", 6: "TYPE_INT32", 9: "TYPE_BOOL", 8: "TYPE_STRING"}
_NUMPY = {
    "TYPE_FP32": "float32",
    "TYPE_FP16": "float16",
    "TYPE_INT64": "int64",
    "TYPE_INT32": "int32",
    "TYPE_BOOL": "bool",
}


def _model_config_pb2() -> Any:
    """tritonclient's generated `model_config_pb2` (Triton's ModelConfig protobuf), loaded without running
    `tritonclient/grpc/__init__.py`, which imports numpy, grpc and the client (about 0.35 s of every
    `validate` and `preview`, issue 15 "Fast start"). The module needs only google.protobuf. It is
    registered under its own name, so a later `import tritonclient.grpc` reuses it (its `__init__` does
    `from tritonclient.grpc import model_config_pb2`, which finds it in sys.modules; one descriptor, one
    ModelConfig class)."""
    import importlib.util
    import sys

    name = "tritonclient.grpc.model_config_pb2"
    if name in sys.modules:
        return sys.modules[name]
    top = importlib.util.find_spec("tritonclient")  # finds the package without importing it
    path = Path(next(iter(top.submodule_search_locations or []), "")) / "grpc" / "model_config_pb2.py" if top else None
    if path is None or not path.is_file():  # an unusual layout: the ordinary import
        from tritonclient.grpc import model_config_pb2

        return model_config_pb2
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


@dataclass(frozen=True)
class PackageRef:
    """A package located in the project."""

    project: Project
    name: str
    directory: Path
    manifest: ModelPackage

    @property
    def rel(self) -> str:
        return self.project.rel(self.directory)

    @property
    def manifest_rel(self) -> str:
        return self.project.rel(self.directory / "model.yaml")

    @property
    def model_dir(self) -> Path:
        """The Triton model directory (config.pbtxt + <version>/)."""
        if self.manifest.repository is None:
            raise PackageError(
                f"{self.manifest_rel} ==> at repository\n  ==> {self.name} uses artifact_uri "
                f"{self.manifest.artifact_uri!r}, so there is no Triton model directory to read; "
                "set repository to build from the package"
            )
        return package_file(self.directory, self.manifest.repository, where=self.manifest_rel, field="repository")

    def versions(self) -> list[int]:
        return self.manifest.available_versions(self.directory)

    def check_version(self, version: int | None) -> int:
        """`version`, or the manifest's newest; PackageError if no such version directory exists."""
        v = self.manifest.version if version is None else version
        available = self.versions()
        if v not in available:
            raise PackageError(
                f"{self.manifest_rel} ==> {self.name} version {v} does not exist; available versions: "
                f"{', '.join(map(str, available)) or 'none'}; pick one of them or add the directory "
                f"{self.manifest.repository}/{v}/"
            )
        return v


def resolve_package(project: Project, path_or_name: str) -> PackageRef:
    """A package directory (`model_packages/x`, absolute or relative) or a bare package name."""
    candidate = Path(path_or_name)
    packages_dir = project.packages_dir.resolve()
    if (candidate / "model.yaml").is_file():
        directory = candidate.resolve()
        if directory.parent != packages_dir:
            raise PackageError(
                f"{path_or_name} ==> is not under {project.rel(project.packages_dir)}/; environments pin packages "
                "by name, so move the package to model_packages/<name>/"
            )
        name = directory.name
    elif (project.packages_dir / path_or_name / "model.yaml").is_file():
        name = path_or_name
        directory = project.packages_dir / name
    else:
        known = project.package_names()
        raise PackageError(
            f"{path_or_name} ==> no model package here (no model.yaml); pass a package directory such as "
            f"model_packages/{known[0] if known else '<name>'} or a package name: {', '.join(known) or 'none'}"
        )
    try:
        manifest = load_model_package(project, name)
    except PackageError:
        raise
    except InputError as exc:
        raise PackageError(exc.message) from None
    return PackageRef(project=project, name=name, directory=directory, manifest=manifest)


@dataclass
class ValidationReport:
    """What was checked; `problems` empty means the package is valid."""

    package: str
    checks: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class _Checker:
    def __init__(self, ref: PackageRef) -> None:
        self.ref = ref
        self.pkg = ref.manifest
        self.report = ValidationReport(package=ref.name)

    def problem(self, where: str, at: str | None, message: str) -> None:
        loc = f" ==> at {at}\n  ==> " if at else " ==> "
        self.report.problems.append(f"{where}{loc}{message}")

    def ok(self, message: str) -> None:
        self.report.checks.append(message)

    # -- config.pbtxt --------------------------------------------------------------------------

    def config(self) -> Any | None:
        from google.protobuf import text_format

        model_config_pb2 = _model_config_pb2()
        model_dir = self.ref.model_dir
        path = model_dir / "config.pbtxt"
        rel = self.ref.project.rel(path)
        if not model_dir.is_dir():
            self.problem(
                self.ref.manifest_rel,
                "repository",
                f"directory {self.pkg.repository!r} does not exist in the package; "
                "create it with config.pbtxt and <version>/ directories or fix the path",
            )
            return None
        if Path(self.pkg.repository or "").name != self.pkg.name:
            self.problem(
                self.ref.manifest_rel,
                "repository",
                f"the Triton model directory is named "
                f"{Path(self.pkg.repository or '').name!r} but Triton serves it under the package name "
                f"{self.pkg.name!r}; rename the directory to {self.pkg.name}",
            )
        if not path.is_file():
            self.problem(rel, None, "file not found; every Triton model directory needs a config.pbtxt")
            return None
        try:
            config = text_format.Parse(path.read_text(encoding="utf-8"), model_config_pb2.ModelConfig())
        except text_format.ParseError as exc:
            line, col = exc.GetLine(), exc.GetColumn()
            detail = str(exc).split(" : ", 1)[-1]
            self.problem(f"{rel}:{line}:{col}", None, f"not a Triton ModelConfig: {detail}; fix that line")
            return None
        self.ok(f"{rel} parses as Triton ModelConfig")
        self.compare_config(config, rel, model_config_pb2)
        return config

    def compare_config(self, config: Any, rel: str, pb: Any) -> None:
        pkg = self.pkg
        before = len(self.report.problems)
        if config.name and config.name != pkg.name:
            self.problem(rel, "name", f"{config.name!r} differs from the package name {pkg.name!r}; make them equal")
        used = {config.backend, config.platform} - {""}
        if not used & _BACKEND_NAMES[pkg.backend]:
            self.problem(
                rel,
                "backend",
                f"config uses {sorted(used) or 'no backend'} but model.yaml says backend "
                f'{pkg.backend!r}; set backend: "{sorted(_BACKEND_NAMES[pkg.backend])[0]}"',
            )
        if config.max_batch_size != pkg.max_batch_size:
            self.problem(
                rel,
                "max_batch_size",
                f"config has {config.max_batch_size} but model.yaml has {pkg.max_batch_size}; make them equal",
            )
        for kind, declared, actual in (("input", pkg.inputs, config.input), ("output", pkg.outputs, config.output)):
            by_name = {t.name: t for t in actual}
            for spec in declared:
                got = by_name.pop(spec.name, None)
                if got is None:
                    self.problem(rel, kind, f"{kind} {spec.name!r} from model.yaml is missing; add it")
                    continue
                dtype = pb.DataType.Name(got.data_type)
                if dtype != spec.data_type:
                    self.problem(
                        rel,
                        f"{kind}[{spec.name}].data_type",
                        f"config has {dtype} but model.yaml has {spec.data_type}; make them equal",
                    )
                if list(got.dims) != spec.dims:
                    self.problem(
                        rel,
                        f"{kind}[{spec.name}].dims",
                        f"config has {list(got.dims)} but model.yaml has {spec.dims}; make them equal",
                    )
            for extra in by_name:
                self.problem(rel, kind, f"{kind} {extra!r} is not declared in model.yaml; declare it or remove it")
        if pkg.dynamic_batching is None:
            if config.HasField("dynamic_batching"):
                self.problem(
                    rel,
                    "dynamic_batching",
                    "config enables dynamic batching but model.yaml has no dynamic_batching; "
                    "declare it in model.yaml or remove it",
                )
        elif not config.HasField("dynamic_batching"):
            self.problem(rel, "dynamic_batching", "missing, but model.yaml declares dynamic_batching; add it")
        else:
            db = config.dynamic_batching
            if list(db.preferred_batch_size) != pkg.dynamic_batching.preferred_batch_sizes:
                self.problem(
                    rel,
                    "dynamic_batching.preferred_batch_size",
                    f"config has {list(db.preferred_batch_size)} but "
                    f"model.yaml has {pkg.dynamic_batching.preferred_batch_sizes}; make them equal",
                )
            if db.max_queue_delay_microseconds != pkg.dynamic_batching.max_queue_delay_us:
                self.problem(
                    rel,
                    "dynamic_batching.max_queue_delay_microseconds",
                    f"config has "
                    f"{db.max_queue_delay_microseconds} but model.yaml has max_queue_delay_us="
                    f"{pkg.dynamic_batching.max_queue_delay_us}; make them equal",
                )
        if pkg.instance_groups:
            got_groups = [(pb.ModelInstanceGroup.Kind.Name(g.kind), g.count or 1) for g in config.instance_group]
            want_groups = [(g.kind, g.count) for g in pkg.instance_groups]
            if got_groups != want_groups:
                self.problem(
                    rel,
                    "instance_group",
                    f"config has {got_groups} but model.yaml has {want_groups} (kind, count); make them equal",
                )
        if len(self.report.problems) == before:
            self.ok("config.pbtxt matches model.yaml (name, backend, batching, tensors, instance groups)")

    # -- manifest-only rules ---------------------------------------------------------------------

    def manifest_rules(self) -> None:
        pkg = self.pkg
        where = self.ref.manifest_rel
        if pkg.dynamic_batching is not None:
            if pkg.max_batch_size == 0:
                self.problem(
                    where,
                    "dynamic_batching",
                    "dynamic batching needs a batch dimension but max_batch_size is 0; "
                    "set max_batch_size or remove dynamic_batching",
                )
            too_big = [s for s in pkg.dynamic_batching.preferred_batch_sizes if s > pkg.max_batch_size or s < 1]
            if too_big and pkg.max_batch_size:
                self.problem(
                    where,
                    "dynamic_batching.preferred_batch_sizes",
                    f"{too_big} lie outside 1..max_batch_size={pkg.max_batch_size}; lower them or raise max_batch_size",
                )
        if pkg.repository is not None and (not pkg.inputs or not pkg.outputs):
            self.problem(
                where, "inputs" if not pkg.inputs else "outputs", "declare at least one tensor; Triton needs them"
            )

    # -- version directories ---------------------------------------------------------------------

    def versions(self) -> list[tuple[int, Path]]:
        versions = self.ref.versions()
        if self.pkg.version not in versions:
            self.problem(
                self.ref.manifest_rel,
                "version",
                f"version {self.pkg.version} has no directory "
                f"{self.pkg.repository}/{self.pkg.version}/ (found {versions or 'none'}); add it or fix version",
            )
        newer = [v for v in versions if v > self.pkg.version]
        if newer:
            self.problem(
                self.ref.manifest_rel,
                "version",
                f"version {self.pkg.version} is not the newest: {self.pkg.repository}/ also holds "
                f"{', '.join(map(str, newer))}/, and `package build` builds `version` by default; set "
                f"version: {max(newer)} (or move the unfinished directory out of the package)",
            )
        found = []
        for v in versions:
            path = self.ref.model_dir / str(v) / MODEL_FILES[self.pkg.backend]
            if path.is_file():
                found.append((v, path))
            else:
                self.problem(
                    self.ref.project.rel(path.parent),
                    None,
                    f"version {v} has no {path.name} (backend {self.pkg.backend}); add the model file",
                )
        return found

    def onnx_graph(self, version: int, path: Path) -> bool:
        import onnx

        rel = self.ref.project.rel(path)
        try:
            model = onnx.load(str(path))
            onnx.checker.check_model(model)
        except Exception as exc:  # onnx raises several unrelated types for broken files
            self.problem(rel, None, f"not a valid ONNX model ({type(exc).__name__}: {exc}); regenerate or re-export it")
            return False
        initializers = {i.name for i in model.graph.initializer}
        graph_inputs = [i for i in model.graph.input if i.name not in initializers]
        before = len(self.report.problems)
        for kind, declared, actual in (
            ("inputs", self.pkg.inputs, graph_inputs),
            ("outputs", self.pkg.outputs, list(model.graph.output)),
        ):
            by_name = {t.name: t for t in actual}
            for i, spec in enumerate(declared):
                info = by_name.pop(spec.name, None)
                if info is None:
                    self.problem(
                        rel,
                        f"{kind}[{i}]",
                        f"the graph has no {kind[:-1]} {spec.name!r} (graph has "
                        f"{sorted(t.name for t in actual)}); rename it in model.yaml and config.pbtxt",
                    )
                    continue
                self._tensor(rel, f"{kind}[{i}]", spec, info)
            for extra in sorted(by_name):
                self.problem(rel, kind, f"graph {kind[:-1]} {extra!r} is not declared in model.yaml; declare it")
        if len(self.report.problems) == before:
            self.ok(f"version {version}: ONNX graph matches the declared tensors")
            return True
        return False

    def _tensor(self, rel: str, at: str, spec: TensorSpec, info: Any) -> None:
        ttype = info.type.tensor_type
        dtype = _ONNX_TO_TRITON.get(ttype.elem_type, f"ONNX elem_type {ttype.elem_type}")
        if dtype != spec.data_type:
            self.problem(
                rel, at, f"{spec.name!r} is {dtype} in the graph but {spec.data_type} in model.yaml; match them"
            )
        dims = [d.dim_value if d.HasField("dim_value") else -1 for d in ttype.shape.dim]
        want = spec.dims
        if self.pkg.max_batch_size > 0:
            if not dims or dims[0] != -1:
                self.problem(
                    rel,
                    at,
                    f"{spec.name!r} has graph dims {dims}: with max_batch_size={self.pkg.max_batch_size} "
                    "the first dimension must be a dynamic batch dimension; export it with a dynamic first axis or "
                    "set max_batch_size: 0",
                )
                return
            dims = dims[1:]
        if not _graph_dims_match(dims, want):
            batch = " after the batch dimension" if self.pkg.max_batch_size > 0 else ""
            self.problem(
                rel,
                at,
                f"{spec.name!r} has graph dims {dims}{batch} but model.yaml declares {want}; "
                "make model.yaml and config.pbtxt match the graph",
            )

    # -- sample request --------------------------------------------------------------------------

    def sample(self) -> tuple[dict[str, Any], int] | None:
        if self.pkg.sample_request is None:
            self.ok("no sample_request declared; skipped the onnxruntime run")
            return None
        import numpy as np

        path = package_file(
            self.ref.directory, self.pkg.sample_request, where=self.ref.manifest_rel, field="sample_request"
        )
        rel = self.ref.project.rel(path)
        try:
            doc = parse_bytes(path.read_bytes(), Path(rel), "fix the file")  # UTF-8, finite, bounded depth
        except FileNotFoundError:
            self.problem(self.ref.manifest_rel, "sample_request", f"{rel} does not exist; create it or fix the path")
            return None
        except OSError as exc:  # a directory, no permission
            self.problem(
                self.ref.manifest_rel, "sample_request", f"{rel} cannot be read ({exc.strerror}); fix the path"
            )
            return None
        except InputError as exc:
            self.report.problems.append(exc.message)
            return None
        entries = doc.get("inputs") if isinstance(doc, dict) else None
        if not isinstance(entries, list):
            self.problem(
                rel,
                None,
                'expected the Triton/KServe v2 request shape {"inputs": [{"name", "shape", "datatype", '
                '"data"}]}; rewrite it in that shape',
            )
            return None
        feeds: dict[str, Any] = {}
        batch = 0
        declared = {t.name: t for t in self.pkg.inputs}
        for i, entry in enumerate(entries):
            at = f"inputs[{i}]"
            name = entry.get("name") if isinstance(entry, dict) else None
            spec = declared.get(str(name))
            if spec is None:
                self.problem(
                    rel,
                    at,
                    f"input {name!r} is not declared in model.yaml (declared: {sorted(declared)}); use a declared name",
                )
                continue
            shape, data = entry.get("shape"), entry.get("data")
            dtype = "TYPE_" + str(entry.get("datatype"))
            if dtype != spec.data_type:
                self.problem(
                    rel,
                    f"{at}.datatype",
                    f"{entry.get('datatype')!r} differs from the declared "
                    f"{spec.data_type}; use {spec.data_type.removeprefix('TYPE_')}",
                )
                continue
            if not isinstance(shape, list) or not isinstance(data, list):
                self.problem(rel, at, "needs a shape list and a flat data list; add them")
                continue
            dims = shape[1:] if self.pkg.max_batch_size > 0 else shape
            if len(dims) != len(spec.dims) or any(w not in (-1, g) for g, w in zip(dims, spec.dims, strict=False)):
                self.problem(
                    rel,
                    f"{at}.shape",
                    f"{shape} does not fit the declared dims {spec.dims}"
                    f"{' plus a leading batch dimension' if self.pkg.max_batch_size else ''}; fix the shape",
                )
                continue
            if self.pkg.max_batch_size > 0:
                if not 1 <= shape[0] <= self.pkg.max_batch_size:
                    self.problem(
                        rel,
                        f"{at}.shape",
                        f"batch size {shape[0]} is outside 1..max_batch_size="
                        f"{self.pkg.max_batch_size}; send a smaller batch",
                    )
                    continue
                batch = shape[0]
            if len(data) != math.prod(shape):
                self.problem(
                    rel,
                    f"{at}.data",
                    f"has {len(data)} values but shape {shape} needs {math.prod(shape)}; fix data or shape",
                )
                continue
            feeds[spec.name] = np.asarray(data, dtype=_NUMPY.get(spec.data_type, "object")).reshape(shape)
        missing = sorted(set(declared) - set(feeds))
        if missing and len(self.report.problems) == 0:
            self.problem(rel, "inputs", f"no data for declared inputs {missing}; add them")
        if missing:
            return None
        return feeds, batch

    def run_sample(self, version: int, path: Path, feeds: dict[str, Any], batch: int) -> None:
        import numpy as np
        import onnxruntime as ort

        rel = self.ref.project.rel(path)
        try:
            opts = ort.SessionOptions()
            opts.log_severity_level = 3
            session = ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
            names = [o.name for o in self.pkg.outputs]
            results = session.run(names, feeds)
        except Exception as exc:  # onnxruntime raises its own exception hierarchy
            self.problem(rel, None, f"the sample request failed on version {version}: {exc}; fix the model or request")
            return
        shapes = []
        for spec, value in zip(self.pkg.outputs, results, strict=True):
            want = ([batch] if self.pkg.max_batch_size > 0 else []) + spec.dims
            got = list(np.shape(value))
            if len(got) != len(want) or any(w not in (-1, g) for g, w in zip(got, want, strict=False)):
                self.problem(
                    rel,
                    f"outputs[{spec.name}]",
                    f"the sample request produced shape {got} but the declared "
                    f"shape is {want}; fix dims in model.yaml and config.pbtxt",
                )
            elif np.issubdtype(np.asarray(value).dtype, np.floating) and not np.isfinite(value).all():
                self.problem(
                    rel,
                    f"outputs[{spec.name}]",
                    "the sample request produced NaN or infinite values; check the model weights and the sample data",
                )
            else:
                shapes.append(f"{spec.name} {got}")
        if len(shapes) == len(self.pkg.outputs):
            self.ok(f"version {version}: sample request ran on onnxruntime (CPU) -> {', '.join(shapes)}")

    # -- drift baseline --------------------------------------------------------------------------

    def drift_baseline(self) -> None:
        if self.pkg.drift_baseline is None:
            return
        path = package_file(
            self.ref.directory, self.pkg.drift_baseline, where=self.ref.manifest_rel, field="drift_baseline"
        )
        try:
            doc = parse_bytes(path.read_bytes(), Path(self.ref.project.rel(path)), "fix the file")
        except FileNotFoundError:
            self.problem(
                self.ref.manifest_rel,
                "drift_baseline",
                f"{self.ref.project.rel(path)} does not exist; create it or remove drift_baseline",
            )
            return
        except OSError as exc:  # a directory, no permission
            rel = self.ref.project.rel(path)
            self.problem(
                self.ref.manifest_rel, "drift_baseline", f"{rel} cannot be read ({exc.strerror}); fix the path"
            )
            return
        except InputError as exc:
            self.report.problems.append(exc.message)
            return
        names = {t.name for t in self.pkg.inputs}
        if isinstance(doc, dict) and doc.get("input") not in names:
            self.problem(
                self.ref.project.rel(path),
                "input",
                f"{doc.get('input')!r} is not a declared input "
                f"({sorted(names)}); name the input the statistics describe",
            )
            return
        spec = next(t for t in self.pkg.inputs if t.name == doc["input"])
        if any(d < 1 for d in spec.dims):
            self.problem(
                self.ref.manifest_rel,
                "drift_baseline",
                f"input {spec.name!r} has variable dims {spec.dims}; a drift baseline needs fixed-size rows",
            )
            return
        from inferstack.packages.baseline import dataset_path, read_rows

        try:
            csv_path, _ = dataset_path(self.ref.directory, self.pkg.drift_baseline)
            rows = read_rows(csv_path, math.prod(spec.dims))
        except PackageError as exc:  # the message names the file (and line) as an absolute path
            self.report.problems.append(exc.message.replace(f"{self.ref.project.root}/", ""))
            return
        self.ok(
            f"drift baseline {self.ref.project.rel(path)} describes input {doc['input']!r} "
            f"({len(rows)} rows in {self.ref.project.rel(csv_path)})"
        )

    # -- GPU memory --------------------------------------------------------------------------------

    def gpu_memory(self) -> None:
        gpu_instances = sum(g.count for g in self.pkg.instance_groups if g.kind == "KIND_GPU") or 1
        need = self.pkg.gpu_memory_gib * gpu_instances
        smallest: tuple[float, str, str] | None = None
        for env_name, env in _environments(self.ref.project).items():
            rel = f"environments/{env_name}.yaml"
            for dep in env.deployments:
                if dep.model != self.pkg.name:
                    continue
                for itype in _instance_types(env, dep.target, dep.gpu_node_group, dep.instance_type):
                    try:
                        mem = float(instance_spec(itype).gpu_memory_gib)
                    except KeyError:
                        continue
                    if smallest is None or mem < smallest[0]:
                        smallest = (mem, itype, rel)
        if smallest is None:
            self.ok("GPU memory: no environment deploys this package yet")
            return
        mem, itype, rel = smallest
        budget = HEADROOM * mem
        if need > budget:
            self.problem(
                self.ref.manifest_rel,
                "gpu_memory_gib",
                f"needs {need:g} GiB per GPU (gpu_memory_gib={self.pkg.gpu_memory_gib:g} x {gpu_instances} GPU "
                f"instance(s)) but the smallest GPU it is deployed on is {itype} in {rel} with {mem:g} GiB, of which "
                f"{HEADROOM:.0%} ({budget:g} GiB) may be planned; lower gpu_memory_gib or the instance count, or "
                "deploy on a larger GPU",
            )
        else:
            self.ok(f"GPU memory: {need:g} GiB per GPU <= {HEADROOM:.0%} of {mem:g} GiB ({itype}, {rel})")


def _graph_dims_match(graph: list[int], declared: list[int]) -> bool:
    """-1 in model.yaml needs a dynamic graph dim; a fixed declared dim accepts the same or a dynamic one."""
    if len(graph) != len(declared):
        return False
    return all(g == -1 if w == -1 else g in (w, -1) for g, w in zip(graph, declared, strict=True))


_ENV_CACHE: dict[tuple[Path, tuple[tuple[str, int], ...]], dict[str, Environment]] = {}


def _environments(project: Project) -> dict[str, Environment]:
    """Every loadable environment, parsed once per set of file versions (validate checks several packages)."""
    names = project.environment_names()
    stamp = tuple((n, (project.environments_dir / f"{n}.yaml").stat().st_mtime_ns) for n in names)
    key = (project.root.resolve(), stamp)
    if key not in _ENV_CACHE:
        _ENV_CACHE.clear()
        _ENV_CACHE[key] = _load_environments(project, names)
    return _ENV_CACHE[key]


def _load_environments(project: Project, names: list[str]) -> dict[str, Environment]:
    envs = {}
    for name in names:
        try:
            envs[name] = load_environment(project, name, check_packages=False)
        except InputError:
            continue  # `inferstack validate` reports broken environment files
    return envs


def _instance_types(env: Environment, target: str, node_group: str | None, instance_type: str | None) -> list[str]:
    if target == "triton-eks":
        return [t for g in env.cluster.gpu_node_groups if g.name == node_group for t in g.instance_types]
    return [instance_type] if instance_type else []


def validate_package(ref: PackageRef, *, deep: bool = True) -> ValidationReport:
    """Run every check; PackageError carries all problems (one per paragraph).

    `deep=False` is the quick set that `inferstack validate` and `preview` run on every package: schema,
    manifest rules, config.pbtxt parsed as a Triton ModelConfig and compared, version directories and
    model files (newest directory == `version`), drift baseline, GPU memory fit. It skips loading the ONNX
    graphs and the onnxruntime sample run (their imports alone take ~0.5 s); `package validate`, `build`
    and `publish` run everything.
    """
    checker = _Checker(ref)
    checker.ok(f"{ref.manifest_rel} matches the manifest schema")
    checker.manifest_rules()
    if ref.manifest.repository is None:
        checker.ok(f"external artifact {ref.manifest.artifact_uri}: graph and sample checks need a local repository")
    elif not deep:
        if checker.config() is not None:
            checker.versions()
    elif checker.config() is not None:
        sample = checker.sample()
        for version, path in checker.versions():
            if ref.manifest.backend != "onnxruntime":
                checker.ok(f"version {version}: {path.name} present (graph checks cover ONNX only)")
                continue
            if checker.onnx_graph(version, path) and sample is not None:
                checker.run_sample(version, path, *sample)
    checker.drift_baseline()
    checker.gpu_memory()
    if checker.report.problems:
        raise PackageError("\n".join(checker.report.problems))
    return checker.report


def package_problems(project: Project, names: list[str], *, deep: bool = False) -> list[str]:
    """The problems of each named package (resolved by name), one message per package; empty when all are valid.

    The one validator `inferstack validate`, `preview`, `package build` and `package publish` share with
    `package validate` (see `validate_package` for what `deep` adds).
    """
    messages = []
    for name in names:
        try:
            validate_package(resolve_package(project, name), deep=deep)
        except InputError as exc:  # PackageError included
            messages.append(exc.message)
    return messages


def require_valid(ref: PackageRef) -> ValidationReport:
    """Every `package validate` check, for `package build` and `publish`: PackageError on any problem."""
    return validate_package(ref, deep=True)
