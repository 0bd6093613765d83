"""model.arns: the ARNs the program builds before its resources exist."""

from __future__ import annotations

import fnmatch

import pytest

from model import arns

ACCOUNT = "123456789012"


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("eu-west-1", "aws"),
        ("us-east-1", "aws"),
        ("cn-north-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("us-iso-east-1", "aws-iso"),
        ("us-isob-east-1", "aws-iso-b"),
    ],
)
def test_the_partition_follows_the_region(region: str, partition: str) -> None:
    assert arns.partition(region) == partition
    assert arns.bucket_arn(region, "b") == f"arn:{partition}:s3:::b"


def test_each_arn_has_its_services_format() -> None:
    assert arns.log_group_arn("eu-west-1", ACCOUNT, "/aws/lambda/f") == (
        f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/lambda/f"
    )
    assert arns.queue_arn("eu-west-1", ACCOUNT, "q") == f"arn:aws:sqs:eu-west-1:{ACCOUNT}:q"
    assert arns.table_arn("cn-north-1", ACCOUNT, "t") == f"arn:aws-cn:dynamodb:cn-north-1:{ACCOUNT}:table/t"


def test_a_secret_arn_by_name_matches_that_secret_only() -> None:
    pattern = arns.secret_arn("eu-west-1", ACCOUNT, "rustlambda-dev/key")
    assert pattern == f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:rustlambda-dev/key-??????"
    created = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:rustlambda-dev/key-AbC123"
    assert fnmatch.fnmatchcase(created, pattern)
    # A secret whose name only starts with this one's is another secret.
    other = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:rustlambda-dev/key-old-AbC123"
    assert not fnmatch.fnmatchcase(other, pattern)
