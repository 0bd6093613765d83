"""The AWS names the stack gives its resources, checked against AWS's limits up front.

Every resource a stack names starts with `<project>-<stack>-`: the deploy roles are scoped to that
prefix, so a name is never shortened (cutting either end could drop the prefix, or make two names
equal); a name that does not fit is an error that says what to shorten.
"""

from __future__ import annotations

# Lambda function names: at most 64 characters. The execution role is `<function>-role`, and IAM
# role names have at most 64 characters: the function's name may use 64 - len("-role").
ROLE_SUFFIX = "-role"
MAX_FUNCTION_NAME = 64 - len(ROLE_SUFFIX)


def function_name(project: str, stack: str, crate: str) -> str:
    """`<project>-<stack>-<crate>`; raises ValueError when it is too long for AWS."""
    name = f"{project}-{stack}-{crate}"
    if len(name) > MAX_FUNCTION_NAME:
        raise ValueError(
            f"the function name {name!r} has {len(name)} characters, and Lambda and IAM allow "
            f"{MAX_FUNCTION_NAME} (with the role's {ROLE_SUFFIX!r} suffix): shorten the project, stack or "
            "crate name"
        )
    return name


def role_name(function: str) -> str:
    return f"{function}{ROLE_SUFFIX}"


def permissions_boundary_name(project: str, stack: str) -> str:
    """The managed policy every function role of a stack carries as its permissions boundary
    (created by ci_access/, outside the stack's prefix, so that the stack's deploy role cannot
    change it)."""
    return f"permissions-boundary-{project}-{stack}"


def permissions_boundary_arn(account_id: str, project: str, stack: str) -> str:
    return f"arn:aws:iam::{account_id}:policy/{permissions_boundary_name(project, stack)}"


def operator_boundary_name(project: str, stack: str) -> str:
    """The boundary of the stack's Managed Instances operator role (ci_access/), apart from the
    functions' boundary: Lambda's scaler, not a function, makes the operator's calls."""
    return f"{permissions_boundary_name(project, stack)}-operator"


def operator_boundary_arn(account_id: str, project: str, stack: str) -> str:
    return f"arn:aws:iam::{account_id}:policy/{operator_boundary_name(project, stack)}"


def codedeploy_role_name(project: str, stack: str) -> str:
    """CodeDeploy's service role for the stack's gradual releases. ci_access/ creates it, outside
    the stack's prefix: no IAM condition can bind a role the deploy role creates to CodeDeploy, so
    the deploy role may only pass this one."""
    return f"codedeploy-{project}-{stack}"


def codedeploy_role_arn(account_id: str, project: str, stack: str) -> str:
    return f"arn:aws:iam::{account_id}:role/{codedeploy_role_name(project, stack)}"


# S3 bucket names: 3-63 characters, lowercase letters, digits, hyphens and dots, globally unique.
MAX_BUCKET_NAME = 63
ACCOUNT_ID_LENGTH = 12


def bucket_name(prefix: str, bucket: str, account_id: str) -> str:
    """`<project>-<stack>-<bucket>-<account>`: the account id makes the name globally unique without
    a random suffix, so the name (and every ARN and document built from it) is known at preview.
    Raises ValueError when it cannot fit S3's 63 characters."""
    name = f"{prefix}-{bucket}-{account_id}"
    longest = len(prefix) + len(bucket) + 2 + ACCOUNT_ID_LENGTH
    if longest > MAX_BUCKET_NAME:
        raise ValueError(
            f"the bucket name {prefix}-{bucket}-<account id> has {longest} characters, and S3 allows "
            f"{MAX_BUCKET_NAME}: shorten the project, stack or bucket name"
        )
    return name
