"""Model packages: validate, build, publish to S3 + SageMaker Model Registry, approve, promote.

Each step is a function that raises `PackageError` (a human message, exit 2 in the CLI) and
returns a small result the CLI prints. AWS calls go through boto3's standard credential and
endpoint chain (profiles, AWS_REGION, AWS_ENDPOINT_URL); nothing is hard-coded here.
"""
