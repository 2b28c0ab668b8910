"""SageMaker container image URIs, resolved offline from the SageMaker SDK's bundled tables (no AWS calls)."""

from functools import cache


@cache
def sagemaker_triton_image(region: str, version: str, instance_type: str) -> str:
    """The SageMaker Triton image for the region/version; the `-cpu` tag on CPU instance types."""
    from sagemaker.core import image_uris  # imported lazily: the SDK takes seconds to import

    return str(
        image_uris.retrieve(
            framework="sagemaker-tritonserver",
            region=region,
            version=version,
            instance_type=instance_type,
            image_scope="inference",
        )
    )


@cache
def model_monitor_image(region: str) -> str:
    """The SageMaker Model Monitor analyzer image of the region (data-quality jobs)."""
    from sagemaker.core import image_uris

    return str(image_uris.retrieve(framework="model-monitor", region=region))


def ecr_repository_arn(image_uri: str) -> str:
    """`<acct>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>` -> the repository ARN (for ECR pull permissions)."""
    host, _, path = image_uri.partition("/")
    account, _, rest = host.partition(".dkr.ecr.")
    region = rest.split(".", 1)[0]
    repo = path.split("@", 1)[0].rsplit(":", 1)[0]
    return f"arn:aws:ecr:{region}:{account}:repository/{repo}"
