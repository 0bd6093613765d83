"""ARNs the program builds from what is known before a resource exists: its name, the account and
region (invokes, which run at preview) and the region's partition. An ARN read from a resource's
output is unknown until the resource is created, so a document built from it could not be judged
by the policy pack in a preview; one built here can.

Pure: strings in, strings out. Formats from AWS's Service Authorization Reference (resource types
of each service).
"""

from __future__ import annotations

# Region prefixes of the partitions other than `aws` (China, GovCloud, the isolated regions).
PARTITIONS = (
    ("cn-", "aws-cn"),
    ("us-gov-", "aws-us-gov"),
    ("us-isob-", "aws-iso-b"),
    ("us-iso-", "aws-iso"),
    ("eu-isoe-", "aws-iso-e"),
    ("us-isof-", "aws-iso-f"),
)
# Secrets Manager appends a hyphen and six random characters to a secret's name in its ARN.
SECRET_SUFFIX = "-??????"


def partition(region: str) -> str:
    """The partition a region belongs to (`aws` for every commercial region)."""
    return next((name for prefix, name in PARTITIONS if region.startswith(prefix)), "aws")


def log_group_arn(region: str, account: str, name: str) -> str:
    return f"arn:{partition(region)}:logs:{region}:{account}:log-group:{name}"


def queue_arn(region: str, account: str, name: str) -> str:
    return f"arn:{partition(region)}:sqs:{region}:{account}:{name}"


def table_arn(region: str, account: str, name: str) -> str:
    return f"arn:{partition(region)}:dynamodb:{region}:{account}:table/{name}"


def bucket_arn(region: str, name: str) -> str:
    """Bucket ARNs carry neither region nor account; the region gives the partition."""
    return f"arn:{partition(region)}:s3:::{name}"


def secret_arn(region: str, account: str, name: str) -> str:
    """The ARN of a secret by its name: AWS adds six random characters to it when it creates the
    secret, so a policy names them with `??????` (as AWS's documentation recommends), which matches
    that secret and no other of the same name prefix."""
    return f"arn:{partition(region)}:secretsmanager:{region}:{account}:secret:{name}{SECRET_SUFFIX}"
