"""SageMakerLlm under recording mocks: LMI environment from the plan, weights from S3, guardrails, scaling, IAM,
and the recorded inputs checked against the SageMaker API's request shapes (botocore service model, offline)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from inferstack.components._serving_images import inference_ami_for, sagemaker_lmi_image
from inferstack.components.sagemaker_llm import CONCURRENCY_METRIC, SageMakerLlm, SageMakerLlmArgs, model_volume_gb
from inferstack.iam_eval import evaluate
from tests.botocore_shapes import ShapeError, api_params
from tests.conftest import Recorded, run_components

KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1111"
WEIGHTS = "s3://inferstack-llm-weights/llama-3-1-8b-instruct/1/"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
MODEL = "aws:sagemaker/model:Model"
CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
ENDPOINT = "aws:sagemaker/endpoint:Endpoint"


def llm_args(**overrides: Any) -> SageMakerLlmArgs:
    args: dict[str, Any] = {
        "model_name": "llama-3-1-8b-instruct",
        "model_version": 1,
        "weights_uri": WEIGHTS,
        "weights_bytes": 16_060_522_496,
        "instance_type": "ml.g6e.xlarge",
        "region": "us-east-1",
        "tensor_parallel": 1,
        "max_model_len": 8192,
        "max_concurrent_sequences": 16,
        "gpu_memory_utilization": 0.9,
        "bucket_name": "models-bucket",
        "bucket_arn": "arn:aws:s3:::models-bucket",
        "kms_key_arn": KEY_ARN,
        "vpc_id": "vpc-1",
        "vpc_cidr": "10.30.0.0/16",
        "s3_prefix_list_id": "pl-63a5400a",
        "subnet_ids": ["subnet-a", "subnet-b"],
        "alarm_topic_arn": "arn:aws:sns:us-east-1:123456789012:alerts",
        "latency_alarm_ms": 27_100,
        "endpoint_name": "staging-llama-3-1-8b-instruct",
        "min_instances": 1,
        "max_instances": 2,
        "rollout_strategy": "canary",
        "canary_percent": 50,
        "model_download_timeout_seconds": 900,
        "container_startup_timeout_seconds": 1200,
        "data_capture": True,
        "capture_sampling_percent": 5,
        "tags": {"environment": "test"},
    }
    args.update(overrides)
    return args  # type: ignore[return-value]


def run_llm(name: str = "sm-llama", **overrides: Any) -> Recorded:
    return run_components(lambda: SageMakerLlm(name, llm_args(**overrides)) and None)


@pytest.fixture(scope="module")
def llm() -> Recorded:
    return run_llm()


@pytest.fixture(scope="module")
def tp2() -> Recorded:
    """70B-style: 2 workers of tensor parallel 2 on a 4-GPU instance."""
    return run_llm(
        "sm-tp2", instance_type="ml.g5.12xlarge", tensor_parallel=2, max_concurrent_sequences=8, data_capture=False
    )


# -- container ------------------------------------------------------------------------------------------


def test_lmi_container_gets_the_plan_as_vllm_engine_options(llm: Recorded) -> None:
    container = llm.one(MODEL).inputs["primaryContainer"]
    assert container["image"] == "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.38.0-lmi29.0.0-cu130"
    assert container["environment"] == {
        "HF_MODEL_ID": "/opt/ml/model",
        "OPTION_TENSOR_PARALLEL_DEGREE": "1",
        "OPTION_MAX_ROLLING_BATCH_SIZE": "16",
        "OPTION_MAX_MODEL_LEN": "8192",
        "OPTION_GPU_MEMORY_UTILIZATION": "0.9",
    }


def test_weights_come_uncompressed_from_the_s3_prefix_and_the_container_stays_isolated(llm: Recorded) -> None:
    model = llm.one(MODEL).inputs
    assert model["primaryContainer"]["modelDataSource"] == {
        "s3DataSources": [{"s3Uri": WEIGHTS, "s3DataType": "S3Prefix", "compressionType": "None"}]
    }
    assert "modelDataUrl" not in model["primaryContainer"]
    assert model["enableNetworkIsolation"] is True
    assert model["vpcConfig"]["subnets"] == ["subnet-a", "subnet-b"]


def test_tensor_parallel_degree_is_passed_and_workers_fill_the_instance(tp2: Recorded) -> None:
    env = tp2.one(MODEL).inputs["primaryContainer"]["environment"]
    assert env["OPTION_TENSOR_PARALLEL_DEGREE"] == "2"
    # 4 A10G / TP 2 = 2 workers x 8 sequences = 16 in flight; target 75 % of that.
    policy = tp2.one("aws:appautoscaling/policy:Policy").inputs["targetTrackingScalingPolicyConfiguration"]
    assert policy["targetValue"] == 12


# -- endpoint configuration ------------------------------------------------------------------------------


def test_variant_takes_the_cold_start_timeouts_and_the_ami_the_image_needs(llm: Recorded) -> None:
    [variant] = llm.one(CONFIG).inputs["productionVariants"]
    assert variant["instanceType"] == "ml.g6e.xlarge"
    assert variant["initialInstanceCount"] == 1
    assert variant["modelDataDownloadTimeoutInSeconds"] == 900
    assert variant["containerStartupHealthCheckTimeoutInSeconds"] == 1200
    assert variant["inferenceAmiVersion"] == "al2023-ami-sagemaker-inference-gpu-4-1"  # CUDA 13.0 for cu130
    assert "volumeSizeInGb" not in variant  # g6e: NVMe instance store


def test_ami_follows_the_image_cuda_version() -> None:
    assert inference_ami_for("x/djl-inference:0.38.0-lmi29.0.0-cu130") == "al2023-ami-sagemaker-inference-gpu-4-1"
    assert inference_ami_for("x/djl-inference:0.28.0-lmi10.0.0-cu124") == "al2-ami-sagemaker-inference-gpu-3-1"
    assert inference_ami_for("x/djl-inference:0.36.0-lmi20.0.0-cu128-v1.0") == "al2023-ami-sagemaker-inference-gpu-4-1"
    assert inference_ami_for("x/custom:latest") is None
    with pytest.raises(ValueError, match=r"needs CUDA 13\.2"):
        inference_ami_for("x/djl-inference:9.0.0-lmi99.0.0-cu132")


def test_ebs_volume_only_where_there_is_no_instance_store() -> None:
    assert model_volume_gb("ml.g6e.xlarge", 16_060_522_496) is None
    assert model_volume_gb("ml.p4d.24xlarge", 141_000_000_000) is None
    # ml.p3 is EBS-only: 16.06 GB x 1.25 = 20.1 -> 21 GB + 40 GB image room
    assert model_volume_gb("ml.p3.2xlarge", 16_060_522_496) == 61


def test_capture_is_encrypted_under_the_model_prefix(llm: Recorded) -> None:
    config = llm.one(CONFIG).inputs
    assert config["kmsKeyArn"] == KEY_ARN
    capture = config["dataCaptureConfig"]
    assert capture["destinationS3Uri"] == "s3://models-bucket/data-capture/llama-3-1-8b-instruct"
    assert capture["kmsKeyId"] == KEY_ARN
    assert capture["initialSamplingPercentage"] == 5


def test_lmi_image_is_resolved_per_region() -> None:
    assert sagemaker_lmi_image("eu-west-1") == (
        "763104351884.dkr.ecr.eu-west-1.amazonaws.com/djl-inference:0.38.0-lmi29.0.0-cu130"
    )


def test_lmi_image_fast_path_matches_the_sdk() -> None:
    from sagemaker.core import image_uris

    for region in ("us-east-1", "us-west-2", "eu-central-1", "ap-northeast-1"):
        expected = image_uris.retrieve(framework="djl-lmi", region=region, version="0.38.0", image_scope="inference")
        sagemaker_lmi_image.cache_clear()
        assert sagemaker_lmi_image(region) == expected


# -- alarms, rollout, scaling --------------------------------------------------------------------------


def test_gpu_memory_alarm_sits_above_what_vllm_preallocates(llm: Recorded) -> None:
    alarms = {r.inputs["metricName"]: r.inputs for r in llm.all(ALARM)}
    # vLLM holds 90 % of the GPU from start; the alarm fires only above 95 % (halfway to 100 %).
    assert alarms["GPUMemoryUtilization"]["threshold"] == 95
    assert alarms["ModelLatency"]["threshold"] == 27_100_000  # microseconds
    assert alarms["ModelLatency"]["extendedStatistic"] == "p99"
    assert alarms["Invocation5XXErrors"]["dimensions"] == {
        "EndpointName": "staging-llama-3-1-8b-instruct",
        "VariantName": "AllTraffic",
    }


def test_gpu_memory_threshold_scales_with_the_gpus_of_the_instance(tp2: Recorded) -> None:
    alarms = {r.inputs["metricName"]: r.inputs for r in tp2.all(ALARM)}
    assert alarms["GPUMemoryUtilization"]["threshold"] == 95 * 4


def test_blue_green_canary_rolls_back_on_errors_latency_and_gpu_memory(llm: Recorded) -> None:
    deployment = llm.one(ENDPOINT).inputs["deploymentConfig"]
    routing = deployment["blueGreenUpdatePolicy"]["trafficRoutingConfiguration"]
    assert routing["type"] == "CANARY" and routing["canarySize"] == {"type": "CAPACITY_PERCENT", "value": 50}
    rollback = {a["alarmName"].rsplit("-", 1)[0] for a in deployment["autoRollbackConfiguration"]["alarms"]}
    names = {r.inputs["metricName"]: r.name for r in llm.all(ALARM)}
    assert rollback == {names["Invocation5XXErrors"], names["ModelLatency"], names["GPUMemoryUtilization"]}


def test_scales_on_concurrent_requests_per_model(llm: Recorded) -> None:
    target = llm.one("aws:appautoscaling/target:Target").inputs
    assert target["resourceId"] == "endpoint/staging-llama-3-1-8b-instruct/variant/AllTraffic"
    assert (target["minCapacity"], target["maxCapacity"]) == (1, 2)
    policy = llm.one("aws:appautoscaling/policy:Policy").inputs["targetTrackingScalingPolicyConfiguration"]
    assert policy["predefinedMetricSpecification"] == {"predefinedMetricType": CONCURRENCY_METRIC}
    assert policy["targetValue"] == 12  # floor(0.75 x 1 worker x 16 sequences)


# -- IAM ------------------------------------------------------------------------------------------------


def _role_policy(recorded: Recorded) -> dict[str, Any]:
    return json.loads(recorded.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])


def test_execution_role_reads_exactly_the_weights_prefix(llm: Recorded) -> None:
    doc = [_role_policy(llm)]
    shard = "arn:aws:s3:::inferstack-llm-weights/llama-3-1-8b-instruct/1/model-00001-of-00004.safetensors"
    assert evaluate(doc, "s3:GetObject", shard).allowed
    for other in (
        "arn:aws:s3:::inferstack-llm-weights/llama-3-1-8b-instruct/2/model-00001-of-00004.safetensors",
        "arn:aws:s3:::inferstack-llm-weights/llama-3-1-70b-instruct/1/config.json",
        "arn:aws:s3:::models-bucket/models/fraud-scorer/7/model.tar.gz",
    ):
        assert not evaluate(doc, "s3:GetObject", other).allowed, other
    bucket = "arn:aws:s3:::inferstack-llm-weights"
    assert evaluate(doc, "s3:ListBucket", bucket, {"s3:prefix": "llama-3-1-8b-instruct/1/"}).allowed
    assert not evaluate(doc, "s3:ListBucket", bucket, {"s3:prefix": ""}).allowed
    assert evaluate(doc, "kms:Decrypt", KEY_ARN).allowed
    assert not evaluate(doc, "s3:PutObject", shard).allowed


def test_a_separate_weights_key_is_granted_decrypt_only() -> None:
    other_key = "arn:aws:kms:us-east-1:123456789012:key/2222"
    doc = [_role_policy(run_llm("sm-key", weights_kms_key_arn=other_key, data_capture=False))]
    assert evaluate(doc, "kms:Decrypt", other_key).allowed
    assert not evaluate(doc, "kms:GenerateDataKey", other_key).allowed
    assert not evaluate(doc, "kms:GenerateDataKey", KEY_ARN).allowed  # no capture: nothing to encrypt


def test_security_group_reaches_s3_through_its_prefix_list(llm: Recorded) -> None:
    egress = llm.one("aws:ec2/securityGroup:SecurityGroup").inputs["egress"]
    assert {k: egress[0][k] for k in ("prefixListIds", "fromPort", "toPort")} == {
        "prefixListIds": ["pl-63a5400a"],
        "fromPort": 443,
        "toPort": 443,
    }
    assert "ingress" not in llm.one("aws:ec2/securityGroup:SecurityGroup").inputs


# -- refusals -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"tensor_parallel": 3, "instance_type": "ml.g5.12xlarge"}, "tensor_parallel=3 does not divide the 4 GPU"),
        ({"min_instances": 0}, "min_instances=0; a SageMaker real-time endpoint keeps >= 1"),
        ({"weights_uri": "s3://inferstack-llm-weights/llama"}, "must be an s3://bucket/prefix/ ending in '/'"),
        ({"weights_uri": "s3://Inferstack_Weights/llama/"}, "must be an s3://bucket/prefix/ ending in '/'"),
        ({"weights_uri": "s3://inferstack-llm-weights/"}, "must be an s3://bucket/prefix/ ending in '/'"),
        ({"instance_type": "ml.m5.xlarge"}, "has no NVIDIA GPU"),
        ({"container_startup_timeout_seconds": 4000}, "container_startup_timeout_seconds=4000 is outside"),
        ({"gpu_memory_utilization": 1.2}, r"gpu_memory_utilization=1.2 must be in \(0, 1\]"),
    ],
)
def test_refuses_what_the_endpoint_cannot_serve(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SageMakerLlm("sm-bad", llm_args(**overrides))


# -- request shapes (botocore service model) ------------------------------------------------------------


def create_model_params(recorded: Recorded) -> dict[str, Any]:
    inputs = {k: v for k, v in recorded.one(MODEL).inputs.items() if k != "tags"}
    container = dict(inputs["primaryContainer"])
    if "modelDataSource" in container:  # the provider's list of one is the API's single S3DataSource
        [source] = container["modelDataSource"]["s3DataSources"]
        container["modelDataSource"] = {"s3DataSource": source}
    return api_params("CreateModel", {**inputs, "primaryContainer": container, "modelName": "m"})


def test_model_matches_the_create_model_request_shape(llm: Recorded) -> None:
    params = create_model_params(llm)
    assert params["PrimaryContainer"]["ModelDataSource"]["S3DataSource"]["S3DataType"] == "S3Prefix"


def test_endpoint_configuration_matches_the_create_endpoint_config_request_shape(llm: Recorded, tp2: Recorded) -> None:
    for recorded in (llm, tp2):
        inputs = {k: v for k, v in recorded.one(CONFIG).inputs.items() if k != "tags"}
        params = api_params(
            "CreateEndpointConfig", {**inputs, "endpointConfigName": "c"}, renames={"kmsKeyArn": "KmsKeyId"}
        )
        assert params["ProductionVariants"][0]["InferenceAmiVersion"].startswith("al2")


def test_endpoint_matches_the_create_endpoint_request_shape(llm: Recorded) -> None:
    inputs = {k: v for k, v in llm.one(ENDPOINT).inputs.items() if k != "tags"}
    params = api_params("CreateEndpoint", inputs, renames={"name": "EndpointName"})
    assert params["DeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["Type"] == "CANARY"


def test_shape_check_catches_a_field_the_api_does_not_have_and_a_value_outside_its_enum() -> None:
    """The checker itself: it must fail on the mistakes it exists for."""
    with pytest.raises(ShapeError, match="has no such member"):
        api_params("CreateModel", {"modelName": "m", "primaryContainer": {"modelDataSources": {}}})
    with pytest.raises(ShapeError, match="is not one of ProductionVariantInferenceAmiVersion"):
        api_params(
            "CreateEndpointConfig",
            {
                "endpointConfigName": "c",
                "productionVariants": [{"variantName": "v", "inferenceAmiVersion": "al2-ami-gpu-99"}],
            },
        )
    with pytest.raises(ShapeError, match="outside ProductionVariantContainerStartupHealthCheckTimeoutInSeconds"):
        api_params(
            "CreateEndpointConfig",
            {
                "endpointConfigName": "c",
                "productionVariants": [{"variantName": "v", "containerStartupHealthCheckTimeoutInSeconds": 4000}],
            },
        )
    with pytest.raises(ShapeError, match="Missing required parameter"):
        api_params("CreateEndpointConfig", {"productionVariants": [{"variantName": "v"}]})


def test_the_triton_endpoint_built_from_the_same_pieces_matches_the_request_shapes() -> None:
    from inferstack.components.sagemaker_endpoint import SageMakerEndpoint
    from tests.test_serving_sagemaker import sm_args

    recorded = run_components(lambda: SageMakerEndpoint("sm-triton", sm_args()) and None)
    create_model_params(recorded)
    inputs = {k: v for k, v in recorded.one(CONFIG).inputs.items() if k != "tags"}
    api_params("CreateEndpointConfig", {**inputs, "endpointConfigName": "c"}, renames={"kmsKeyArn": "KmsKeyId"})
    inputs = {k: v for k, v in recorded.one(ENDPOINT).inputs.items() if k != "tags"}
    api_params("CreateEndpoint", inputs, renames={"name": "EndpointName"})
