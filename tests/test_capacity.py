"""The capacity model: node allocatable from the EKS AMI formulas, pod sizes, and configurations that cannot
be scheduled refused at `inferstack validate` with the arithmetic in the message (exit 2, file:line)."""

from __future__ import annotations

import re
from pathlib import Path

from inferstack.capacity import (
    check,
    kube_reserved_cpu_m,
    kube_reserved_memory_mib,
    max_pods,
    node,
    plan,
    pod_size,
)
from inferstack.config.loader import Project, load_environment
from tests.test_config_errors import edit, pos, run, workspace  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parent.parent


def test_max_pods_follow_the_eks_ami_eni_formula():
    # ENIs x (IPv4 per ENI - 1) + 2, instance-info.jsonl of awslabs/amazon-eks-ami.
    assert max_pods("g4dn.xlarge") == 3 * 9 + 2 == 29
    assert max_pods("g6.xlarge") == 4 * 14 + 2 == 58
    assert max_pods("g6.12xlarge") == 8 * 29 + 2 == 234
    assert max_pods("x9.unknown") == 110


def test_kube_reserved_follows_the_eks_ami_formula():
    # 6% of the first core + 1% of the second + 0.5% of cores 3-4 + 0.25% above 4.
    assert kube_reserved_cpu_m(4) == 60 + 10 + 10 == 80
    assert kube_reserved_cpu_m(8) == 80 + 10 == 90
    assert kube_reserved_cpu_m(48) == 80 + 110 == 190
    assert kube_reserved_memory_mib(29) == 11 * 29 + 255 == 574


def test_node_allocatable_subtracts_kube_reserved_and_the_eviction_threshold():
    n = node("g4dn.xlarge")
    assert n.allocatable_cpu_m == 4000 - 80
    assert n.allocatable_memory_mib == int(16 * 1024 * 0.95) - 574 - 100


def test_pod_takes_its_gpu_share_of_the_smallest_type_so_it_fits_every_type():
    one = pod_size(["g6.xlarge", "g6.2xlarge"], 1)
    assert one is not None
    assert one.cpu_m == (4000 - 80 - 500) // 100 * 100 == 3400
    # A 4-GPU node hosts four 1-GPU pods: each gets a quarter of the node, not the whole node.
    quarter = pod_size(["g6.12xlarge"], 1)
    assert quarter is not None
    assert quarter.cpu_m * 4 <= node("g6.12xlarge").workload_cpu_m
    assert quarter.memory_mib * 4 <= node("g6.12xlarge").workload_memory_mib
    assert pod_size(["g6.xlarge"], 4) is None


def test_serving_pods_request_what_the_capacity_model_sizes(previews):
    prod = previews("prod")
    deployments = [
        r for r in prod.resources if r.type == "kubernetes:apps/v1:Deployment" and r.name.startswith("triton-")
    ]
    assert deployments
    expected = pod_size(["g6.xlarge", "g6.2xlarge"], 1)
    assert expected is not None
    for d in deployments:
        (container,) = d.inputs["spec"]["template"]["spec"]["containers"]
        assert container["resources"]["requests"]["cpu"] == expected.cpu == "3400m"
        assert container["resources"]["requests"]["memory"] == expected.memory


def test_reference_environments_have_capacity_that_adds_up():
    project = Project(ROOT)
    for name in ("dev", "staging", "prod"):
        assert check(load_environment(project, name)) == [], name


def test_prod_baseline_counts_the_nodes_the_minimum_replicas_need():
    env = load_environment(Project(ROOT), "prod")
    group = plan(env)["l4"]
    assert group.nodes_min == 2 and group.baseline_nodes == 2 >= group.min_size


def test_vllm_replicas_count_at_the_planners_tensor_parallel_degree():
    # prod: the 70B model is planned at tensor parallel 4, so one replica takes a whole g6e.12xlarge (4 GPUs).
    prod = plan(load_environment(Project(ROOT), "prod"))["l40s-x4"]
    (need,) = prod.needs
    assert (need.model, need.gpus_per_replica, need.pods_per_node) == ("llama-3-1-70b-instruct", 4, 1)
    assert (prod.nodes_min, prod.nodes_max, prod.baseline_nodes) == (2, 3, 2)


def test_vllm_tensor_parallel_beyond_the_node_is_an_error_of_the_planner_not_a_silent_one_gpu_pod(workspace):  # noqa: F811
    path = workspace / "environments" / "prod.yaml"
    edit(path, lambda t: t.replace("gpu_node_group: l40s-x4", "gpu_node_group: l4"))
    code, _, err = run("validate")
    assert code == 2
    assert "llama-3-1-70b-instruct does not fit on g6.xlarge, g6.2xlarge" in err


def test_four_gpus_per_replica_on_one_gpu_nodes_is_refused_with_the_numbers(workspace):  # noqa: F811
    path = workspace / "environments" / "staging.yaml"
    edit(path, lambda t: t.replace("    gpu_node_group: l4\n", "    gpu_node_group: l4\n    gpus_per_replica: 4\n", 1))
    code, out, err = run("validate")
    assert code == 2, out
    where = pos(path, "gpus_per_replica: 4", len("gpus_per_replica: "))
    assert f"environments/staging.yaml:{where} ==> at deployments[0].gpus_per_replica" in err
    assert "4 GPUs per replica > 1 GPU per g6.xlarge node (gpu_node_group 'l4')" in err
    assert "g6.12xlarge" in err  # the fix names a type that has 4 L4 GPUs


def test_max_replicas_beyond_max_size_is_refused_with_the_numbers(workspace):  # noqa: F811
    path = workspace / "environments" / "staging.yaml"
    edit(path, lambda t: re.sub(r"replicas: \{min: 1, max: \d+\}", "replicas: {min: 3, max: 40}", t, count=1))
    code, _, err = run("validate")
    assert code == 2
    assert f"environments/staging.yaml:{pos(path, 'max: 40', 5)} ==> at deployments[0].replicas.max" in err
    assert "replicas.max=40 x 1 GPU = 40 GPUs need 40 nodes" in err
    assert "> max_size=4 of cluster.gpu_node_groups[0] ('l4') (4 x 1 GPU = 4 GPUs)" in err
    assert "raise max_size to 40 or lower replicas.max of text-embedder to 4" in err


def test_min_replicas_beyond_max_size_is_refused(workspace):  # noqa: F811
    path = workspace / "environments" / "staging.yaml"
    edit(path, lambda t: re.sub(r"replicas: \{min: 1, max: \d+\}", "replicas: {min: 6, max: 6}", t, count=1))
    code, _, err = run("validate")
    assert code == 2
    assert "at deployments[0].replicas.min" in err and "the minimum can never run" in err


def test_the_shipped_prod_replicas_no_longer_exceed_its_node_group():
    env = load_environment(Project(ROOT), "prod")
    for group in plan(env).values():
        assert group.nodes_max <= 0.8 * group.max_size, group.name


def test_the_shipped_prod_text_embedder_max_10_on_8_nodes_is_refused(workspace):  # noqa: F811
    path = workspace / "environments" / "prod.yaml"
    edit(path, lambda t: t.replace("replicas: {min: 2, max: 5}", "replicas: {min: 2, max: 10}"))
    code, _, err = run("validate")
    assert code == 2
    assert f"environments/prod.yaml:{pos(path, 'max: 10', 5)} ==> at deployments[0].replicas.max" in err
    assert "replicas.max=10 x 1 GPU = 10 GPUs need 10 nodes (1 pod(s) per node) > max_size=8" in err
