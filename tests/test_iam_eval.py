"""The IAM evaluator behind the permission contracts, against the documented evaluation rules."""

from __future__ import annotations

import json

import pytest

from inferstack.iam_eval import UnsupportedPolicyError, evaluate

BUCKET = "arn:aws:s3:::models"
PREFIXED_LIST = {
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": BUCKET,
            "Condition": {"StringLike": {"s3:prefix": ["triton/m/", "triton/m/*"]}},
        }
    ]
}


def test_prefix_condition_denies_a_request_without_s3_prefix_and_allows_a_matching_one() -> None:
    assert evaluate([PREFIXED_LIST], "s3:ListBucket", BUCKET, {}).decision == "implicit-deny"
    assert evaluate([PREFIXED_LIST], "s3:ListBucket", BUCKET, {"s3:prefix": "triton/m/m/"}).allowed
    assert not evaluate([PREFIXED_LIST], "s3:ListBucket", BUCKET, {"s3:prefix": "triton/other/"}).allowed


def test_moto_evaluator_reads_the_same_policy_as_permitted_which_is_why_it_is_not_used() -> None:
    from moto.iam.access_control import IAMPolicy, PermissionResult

    moto = IAMPolicy(json.dumps(PREFIXED_LIST)).is_action_permitted("s3:ListBucket", BUCKET, None, {})
    assert moto == PermissionResult.PERMITTED  # StringLike is ignored there (moto 5.2.5)


def test_explicit_deny_wins_over_allow_across_documents() -> None:
    allow = {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    deny = {"Statement": [{"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"}]}
    result = evaluate([allow, deny], "s3:DeleteObject", f"{BUCKET}/k", {})
    assert (result.decision, result.matched) == ("explicit-deny", ("NoDelete",))
    assert evaluate([allow, deny], "s3:GetObject", f"{BUCKET}/k").allowed


def test_actions_match_case_insensitively_and_resources_with_star_and_question_mark() -> None:
    doc = {"Statement": [{"Effect": "Allow", "Action": "S3:get*", "Resource": "arn:aws:s3:::models/v?/*"}]}
    assert evaluate([doc], "s3:GetObject", "arn:aws:s3:::models/v1/a").allowed
    assert not evaluate([doc], "s3:GetObject", "arn:aws:s3:::models/v10/a").allowed
    assert not evaluate([doc], "s3:GetObject", "arn:aws:s3:::Models/v1/a").allowed


def test_not_action_not_resource_and_missing_key_semantics() -> None:
    doc = {
        "Statement": [
            {
                "Effect": "Allow",
                "NotAction": "iam:*",
                "NotResource": "arn:aws:s3:::secret/*",
                "Condition": {"StringNotEquals": {"aws:SourceAccount": "999999999999"}},
            }
        ]
    }
    assert evaluate([doc], "s3:GetObject", "arn:aws:s3:::models/a").allowed  # negated operator, key absent: true
    assert not evaluate([doc], "iam:PassRole", "*").allowed
    assert not evaluate([doc], "s3:GetObject", "arn:aws:s3:::secret/a").allowed
    assert not evaluate([doc], "s3:GetObject", "arn:aws:s3:::m/a", {"aws:SourceAccount": "999999999999"}).allowed


def test_if_exists_null_bool_and_arn_like() -> None:
    doc = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEqualsIfExists": {"aws:SourceAccount": "123456789012"},
                    "ArnLike": {"aws:SourceArn": "arn:aws:eks:*:123456789012:cluster/*"},
                    "Null": {"aws:TokenIssueTime": "true"},
                    "Bool": {"aws:SecureTransport": "true"},
                },
            }
        ]
    }
    ok = {"aws:SourceArn": "arn:aws:eks:us-east-1:123456789012:cluster/c", "aws:SecureTransport": "true"}
    assert evaluate([doc], "sts:AssumeRole", "*", ok).allowed
    assert not evaluate([doc], "sts:AssumeRole", "*", {**ok, "aws:SourceAccount": "999999999999"}).allowed
    assert not evaluate([doc], "sts:AssumeRole", "*", {**ok, "aws:TokenIssueTime": "now"}).allowed
    assert not evaluate([doc], "sts:AssumeRole", "*", {"aws:SecureTransport": "true"}).allowed  # ArnLike key absent


def test_operators_it_does_not_model_raise_instead_of_passing() -> None:
    doc = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "*",
                "Resource": "*",
                "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            }
        ]
    }
    with pytest.raises(UnsupportedPolicyError, match="IpAddress"):
        evaluate([doc], "s3:GetObject", "*", {"aws:SourceIp": "10.1.1.1"})
