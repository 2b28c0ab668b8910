"""SageMakerEndpoint under recording mocks: model, guardrails, alarms, autoscaling, async scale-to-zero, drift, IAM."""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi
import pytest

from inferstack.catalog import known_sagemaker_types
from inferstack.components.sagemaker_endpoint import SageMakerEndpoint, SageMakerEndpointArgs
from tests.conftest import Recorded, run_components

BUCKET_ARN = "arn:aws:s3:::models-bucket"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1111"
TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
POLICY = "aws:appautoscaling/policy:Policy"


def sm_args(**overrides: Any) -> SageMakerEndpointArgs:
    args: dict[str, Any] = {
        "model_name": "fraud-scorer",
        "model_version": 7,
        "instance_type": "ml.g6.xlarge",
        "region": "us-east-1",
        "endpoint_name": "prod-fraud-scorer",
        "bucket_name": "models-bucket",
        "bucket_arn": BUCKET_ARN,
        "kms_key_arn": KEY_ARN,
        "vpc_id": "vpc-1",
        "vpc_cidr": "10.40.0.0/16",
        "s3_prefix_list_id": "pl-63a5400a",
        "subnet_ids": ["subnet-a", "subnet-b"],
        "alarm_topic_arn": TOPIC,
        "latency_slo_ms": 50,
        "min_instances": 2,
        "max_instances": 6,
        "rollout_strategy": "canary",
        "canary_percent": 10,
        "wait_minutes": 10,
        "data_capture": True,
        "capture_sampling_percent": 10,
        "baseline_s3_prefix": "s3://models-bucket/baselines/fraud-scorer/7/",
        "tags": {"environment": "test"},
    }
    args.update(overrides)
    return args  # type: ignore[return-value]


def run_endpoint(name: str = "sm-fraud-scorer", **overrides: Any) -> Recorded:
    return run_components(lambda: SageMakerEndpoint(name, sm_args(**overrides)) and None)


@pytest.fixture(scope="module")
def realtime() -> Recorded:
    return run_endpoint()


@pytest.fixture(scope="module")
def asynchronous() -> Recorded:
    return run_endpoint(
        "sm-async",
        endpoint_name="dev-fraud-scorer",
        instance_type="ml.g4dn.xlarge",
        asynchronous=True,
        min_instances=0,
        max_instances=2,
        rollout_strategy="linear",
        linear_step_percent=25,
        data_capture=False,
        off_hours_schedule=True,
        async_input_path="s3://models-bucket/async/fraud-scorer/input",
        async_output_path="s3://models-bucket/async/fraud-scorer/output",
    )


def alarms_by_metric(recorded: Recorded) -> dict[str, dict[str, Any]]:
    return {r.inputs["metricName"]: r.inputs for r in recorded.all(ALARM)}


def test_model_uses_the_regional_triton_image_with_network_isolation_in_the_vpc(realtime: Recorded) -> None:
    model = realtime.one("aws:sagemaker/model:Model").inputs
    container = model["primaryContainer"]
    assert container["image"] == "763104351884.dkr.ecr.us-east-1.amazonaws.com/sagemaker-tritonserver:24.09-py3"
    assert container["modelDataUrl"] == "s3://models-bucket/models/fraud-scorer/7/model.tar.gz"
    assert container["environment"]["SAGEMAKER_TRITON_DEFAULT_MODEL_NAME"] == "fraud-scorer"
    assert model["enableNetworkIsolation"] is True
    assert model["vpcConfig"]["subnets"] == ["subnet-a", "subnet-b"]
    assert len(model["vpcConfig"]["securityGroupIds"]) == 1


def test_cpu_instances_get_the_cpu_image_tag() -> None:
    recorded = run_endpoint(instance_type="ml.m5.xlarge", region="us-west-2", data_capture=False)
    image = recorded.one("aws:sagemaker/model:Model").inputs["primaryContainer"]["image"]
    assert image == "763104351884.dkr.ecr.us-west-2.amazonaws.com/sagemaker-tritonserver:24.09-py3-cpu"
    assert "GPUUtilization" not in alarms_by_metric(recorded)


def test_endpoint_configuration_is_auto_named_encrypted_and_captures_data(realtime: Recorded) -> None:
    config = realtime.one("aws:sagemaker/endpointConfiguration:EndpointConfiguration").inputs
    assert "name" not in config and "namePrefix" not in config
    assert config["kmsKeyArn"] == KEY_ARN
    [variant] = config["productionVariants"]
    assert variant["variantName"] == "AllTraffic"
    assert variant["instanceType"] == "ml.g6.xlarge"
    assert variant["initialInstanceCount"] == 2
    assert variant["modelDataDownloadTimeoutInSeconds"] == 600
    assert variant["containerStartupHealthCheckTimeoutInSeconds"] == 600
    capture = config["dataCaptureConfig"]
    assert capture["initialSamplingPercentage"] == 10
    assert capture["kmsKeyId"] == KEY_ARN
    assert capture["destinationS3Uri"] == "s3://models-bucket/data-capture/fraud-scorer"
    assert {o["captureMode"] for o in capture["captureOptions"]} == {"Input", "Output"}


def test_endpoint_shifts_traffic_by_canary_and_rolls_back_on_its_own_alarms(realtime: Recorded) -> None:
    endpoint = realtime.one("aws:sagemaker/endpoint:Endpoint").inputs
    assert endpoint["name"] == "prod-fraud-scorer"
    policy = endpoint["deploymentConfig"]["blueGreenUpdatePolicy"]
    routing = policy["trafficRoutingConfiguration"]
    assert routing == {
        "type": "CANARY",
        "waitIntervalInSeconds": 600,
        "canarySize": {"type": "CAPACITY_PERCENT", "value": 10},
    }
    assert policy["terminationWaitInSeconds"] == 300
    rollback = {a["alarmName"] for a in endpoint["deploymentConfig"]["autoRollbackConfiguration"]["alarms"]}
    names = {r.inputs["metricName"]: r.name for r in realtime.all(ALARM)}
    expected = {names["Invocation5XXErrors"], names["ModelLatency"], names["GPUMemoryUtilization"]}
    assert {n.rsplit("-", 1)[0] for n in rollback} == expected  # mocks append a random-looking suffix


def test_linear_rollout_uses_the_configured_step(asynchronous: Recorded) -> None:
    endpoint = asynchronous.one("aws:sagemaker/endpoint:Endpoint").inputs
    routing = endpoint["deploymentConfig"]["blueGreenUpdatePolicy"]["trafficRoutingConfiguration"]
    assert routing["type"] == "LINEAR"
    assert routing["linearStepSize"] == {"type": "CAPACITY_PERCENT", "value": 25}


def test_alarms_cover_errors_latency_slo_and_utilization_and_notify_the_topic(realtime: Recorded) -> None:
    alarms = alarms_by_metric(realtime)
    assert set(alarms) == {
        "Invocation5XXErrors",
        "ModelLatency",
        "GPUUtilization",
        "GPUMemoryUtilization",
        "CPUUtilization",
    }
    assert alarms["ModelLatency"]["extendedStatistic"] == "p99"
    assert alarms["ModelLatency"]["threshold"] == 50000  # 50 ms in microseconds
    assert alarms["GPUUtilization"]["namespace"] == "/aws/sagemaker/Endpoints"
    assert alarms["CPUUtilization"]["threshold"] == 360  # 90% of 4 vCPUs
    for alarm in alarms.values():
        assert alarm["alarmActions"] == [TOPIC]
        assert alarm["dimensions"] == {"EndpointName": "prod-fraud-scorer", "VariantName": "AllTraffic"}


def test_realtime_scales_on_invocations_per_instance_with_a_slow_scale_in(realtime: Recorded) -> None:
    target = realtime.one("aws:appautoscaling/target:Target").inputs
    assert target["resourceId"] == "endpoint/prod-fraud-scorer/variant/AllTraffic"
    assert target["scalableDimension"] == "sagemaker:variant:DesiredInstanceCount"
    assert (target["minCapacity"], target["maxCapacity"]) == (2, 6)
    [policy] = realtime.all(POLICY)
    tracking = policy.inputs["targetTrackingScalingPolicyConfiguration"]
    assert tracking["predefinedMetricSpecification"] == {
        "predefinedMetricType": "SageMakerVariantInvocationsPerInstance"
    }
    assert tracking["targetValue"] == 70
    assert tracking["scaleInCooldown"] == 300
    assert policy.inputs["resourceId"] == target["resourceId"]


def test_async_endpoint_scales_on_backlog_down_to_zero(asynchronous: Recorded) -> None:
    target = asynchronous.one("aws:appautoscaling/target:Target").inputs
    assert target["minCapacity"] == 0
    policies = {r.inputs["policyType"]: r.inputs for r in asynchronous.all(POLICY)}
    tracking = policies["TargetTrackingScaling"]["targetTrackingScalingPolicyConfiguration"]
    metric = tracking["customizedMetricSpecification"]
    assert metric["metricName"] == "ApproximateBacklogSizePerInstance"
    assert metric["dimensions"] == [{"name": "EndpointName", "value": "dev-fraud-scorer"}]
    assert tracking["targetValue"] == 5
    assert tracking["scaleInCooldown"] == 300
    config = asynchronous.one("aws:sagemaker/endpointConfiguration:EndpointConfiguration").inputs
    assert config["productionVariants"][0]["initialInstanceCount"] == 1


def test_async_backlog_without_capacity_alarm_triggers_the_scale_from_zero_step(asynchronous: Recorded) -> None:
    step = asynchronous.one(POLICY, "sm-async-scale-from-zero").inputs
    assert step["policyType"] == "StepScaling"
    assert step["stepScalingPolicyConfiguration"]["stepAdjustments"] == [
        {"metricIntervalLowerBound": "0", "scalingAdjustment": 1}
    ]
    alarm = alarms_by_metric(asynchronous)["HasBacklogWithoutCapacity"]
    [action] = alarm["alarmActions"]
    assert re.fullmatch(r"arn:aws:appautoscaling:us-east-1:123456789012:policy/sm-async-scale-from-zero-\w+", action)
    assert alarm["threshold"] == 1
    assert alarm["comparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_async_configuration_writes_results_and_notifies_encrypted_topics(asynchronous: Recorded) -> None:
    config = asynchronous.one("aws:sagemaker/endpointConfiguration:EndpointConfiguration").inputs
    output = config["asyncInferenceConfig"]["outputConfig"]
    assert output["s3OutputPath"] == "s3://models-bucket/async/fraud-scorer/output"
    assert output["s3FailurePath"] == "s3://models-bucket/async/fraud-scorer/output/failures"
    assert output["kmsKeyId"] == KEY_ARN
    assert output["notificationConfig"]["successTopic"].startswith("arn:aws:sns:us-east-1:")
    assert output["notificationConfig"]["errorTopic"].startswith("arn:aws:sns:us-east-1:")
    assert config["asyncInferenceConfig"]["clientConfig"] == {"maxConcurrentInvocationsPerInstance": 4}
    topics = asynchronous.all("aws:sns/topic:Topic")
    assert len(topics) == 2 and all(t.inputs["kmsMasterKeyId"] == KEY_ARN for t in topics)


def test_off_hours_schedule_caps_capacity_at_night(asynchronous: Recorded) -> None:
    actions = {r.name: r.inputs for r in asynchronous.all("aws:appautoscaling/scheduledAction:ScheduledAction")}
    night = actions["sm-async-off-hours"]
    assert night["schedule"] == "cron(0 20 ? * MON-FRI *)"
    assert night["scalableTargetAction"] == {"minCapacity": 0, "maxCapacity": 0}
    assert actions["sm-async-business-hours"]["scalableTargetAction"] == {"minCapacity": 0, "maxCapacity": 2}


def test_data_capture_runs_hourly_data_quality_monitoring_against_the_baseline(realtime: Recorded) -> None:
    job = realtime.one("aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition").inputs
    assert job["dataQualityAppSpecification"]["imageUri"].endswith("/sagemaker-model-monitor-analyzer")
    assert job["dataQualityJobInput"]["endpointInput"]["endpointName"] == "prod-fraud-scorer"
    assert job["dataQualityBaselineConfig"]["statisticsResource"]["s3Uri"] == (
        "s3://models-bucket/baselines/fraud-scorer/7/statistics.json"
    )
    assert job["dataQualityJobOutputConfig"]["kmsKeyId"] == KEY_ARN
    assert job["networkConfig"]["enableNetworkIsolation"] is True
    schedule = realtime.one("aws:sagemaker/monitoringSchedule:MonitoringSchedule").inputs
    config = schedule["monitoringScheduleConfig"]
    assert config["monitoringType"] == "DataQuality"
    assert config["scheduleConfig"]["scheduleExpression"] == "cron(0 * ? * * *)"


def test_no_monitoring_without_data_capture(asynchronous: Recorded) -> None:
    assert asynchronous.all("aws:sagemaker/monitoringSchedule:MonitoringSchedule") == []
    assert asynchronous.all("aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition") == []
    config = asynchronous.one("aws:sagemaker/endpointConfiguration:EndpointConfiguration").inputs
    assert "dataCaptureConfig" not in config


def policy_doc(recorded: Recorded, name: str) -> dict[str, dict[str, Any]]:
    doc = json.loads(recorded.one("aws:iam/rolePolicy:RolePolicy", name).inputs["policy"])
    return {s["Sid"]: s for s in doc["Statement"]}


def test_execution_role_is_limited_to_its_artifacts_key_image_and_own_logs(realtime: Recorded) -> None:
    trust = json.loads(realtime.one("aws:iam/role:Role", "sm-fraud-scorer-exec").inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert trust["Statement"][0]["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    sids = policy_doc(realtime, "sm-fraud-scorer-exec-policy")
    assert sids["ReadModelArtifacts"]["Resource"] == [f"{BUCKET_ARN}/models/fraud-scorer/*"]
    assert sids["ListArtifactPrefix"]["Resource"] == [BUCKET_ARN]
    assert sids["UseEnvironmentKey"]["Resource"] == [KEY_ARN]
    assert sids["PullServingImage"]["Resource"] == [
        "arn:aws:ecr:us-east-1:763104351884:repository/sagemaker-tritonserver"
    ]
    assert sids["OwnLogs"]["Resource"][0] == (
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/prod-fraud-scorer"
    )
    assert sids["WriteDataCapture"]["Resource"] == [f"{BUCKET_ARN}/data-capture/fraud-scorer/*"]
    wildcard = {sid for sid, s in sids.items() if s["Resource"] == ["*"]}
    assert wildcard == {"EcrAuth", "OwnMetrics", "VpcInterfaces"}
    assert "Condition" in sids["OwnMetrics"]
    actions = [a for s in sids.values() for a in s["Action"]]
    assert not [a for a in actions if a.endswith(":*") or a == "*"]


def test_async_role_may_write_results_and_publish_only_to_its_topics(asynchronous: Recorded) -> None:
    sids = policy_doc(asynchronous, "sm-async-exec-policy")
    assert sids["WriteAsyncResults"]["Resource"] == [
        "arn:aws:s3:::models-bucket/async/fraud-scorer/output/*",
        "arn:aws:s3:::models-bucket/async/fraud-scorer/output/failures/*",
    ]
    assert sids["ReadAsyncRequests"]["Resource"] == ["arn:aws:s3:::models-bucket/async/fraud-scorer/input/*"]
    topic_arns = sorted(t.name for t in asynchronous.all("aws:sns/topic:Topic"))
    assert len(sids["NotifyAsync"]["Resource"]) == len(topic_arns) == 2
    assert "WriteDataCapture" not in sids


def test_monitor_role_reads_capture_and_writes_reports_only(realtime: Recorded) -> None:
    sids = policy_doc(realtime, "sm-fraud-scorer-monitor-policy")
    assert sids["ReadCapture"]["Resource"] == [
        f"{BUCKET_ARN}/data-capture/fraud-scorer/*",
        f"{BUCKET_ARN}/baselines/fraud-scorer/7/*",
    ]
    assert sids["WriteReports"]["Resource"] == [f"{BUCKET_ARN}/monitoring/fraud-scorer/*"]


def test_children_inherit_the_callers_provider_and_carry_tags() -> None:
    def build() -> None:
        import pulumi_aws as aws

        west = aws.Provider("aws-us-west-2", region="us-west-2")
        SageMakerEndpoint(
            "sm-west", sm_args(region="us-west-2", data_capture=False), opts=pulumi.ResourceOptions(provider=west)
        )

    recorded = run_components(build)
    west = recorded.one("pulumi:providers:aws", "aws-us-west-2")
    children = [r for r in recorded.resources if r.type.startswith("aws:")]
    assert children and all(r.provider_urn == west.urn for r in children)
    taggable = [r for r in children if r.type.split(":")[-1] not in ("RolePolicy", "Policy", "ScheduledAction")]
    assert all(r.inputs.get("tags", {}).get("environment") == "test" for r in taggable)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"instance_type": "ml.p5.48xlarge"},
            "SageMakerEndpoint 'bad': instance_type 'ml.p5.48xlarge' is not in the instance catalog; use one of "
            + ", ".join(sorted(known_sagemaker_types())),
        ),
        (
            {"canary_percent": 60},
            "SageMakerEndpoint 'bad': canary_percent=60 must be between 1 and 50; lower it (the canary fleet may "
            "take at most half the capacity)",
        ),
        (
            {"linear_step_percent": 5},
            "SageMakerEndpoint 'bad': linear_step_percent=5 must be between 10 and 50; use e.g. 20",
        ),
        (
            {"min_instances": 4, "max_instances": 3},
            "SageMakerEndpoint 'bad': min_instances=4 exceeds max_instances=3; raise max_instances or lower "
            "min_instances",
        ),
        (
            {"min_instances": 0},
            "SageMakerEndpoint 'bad': min_instances=0 for a real-time endpoint; use >= 1 (only asynchronous "
            "endpoints scale to zero)",
        ),
        (
            {"asynchronous": True, "min_instances": 0},
            "SageMakerEndpoint 'bad': asynchronous endpoints need async_output_path (an s3:// prefix for results); "
            "set it, e.g. s3://<bucket>/async/<model>/output",
        ),
        (
            {"latency_slo_ms": None},
            "SageMakerEndpoint 'bad': latency_slo_ms=None but the ModelLatency alarm and auto-rollback need a p99 "
            "objective; set it from the model package's latency_slo.p99_ms",
        ),
        (
            {"rollout_strategy": "rolling"},
            "SageMakerEndpoint 'bad': rollout_strategy 'rolling' is not supported; use one of all_at_once, canary, "
            "linear",
        ),
        (
            {"endpoint_name": "prod_fraud"},
            "SageMakerEndpoint 'bad': endpoint_name 'prod_fraud' is not a SageMaker endpoint name; use 1-63 letters, "
            "digits and hyphens, starting and ending with a letter or digit",
        ),
    ],
)
def test_invalid_settings_fail_with_a_message_naming_the_field_and_fix(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        run_endpoint("bad", **overrides)
