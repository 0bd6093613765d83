"""Lambda policies: runtime, architecture (declared and built), Managed Instances capacity providers,
invoke permissions, Function URLs and SQS event source mappings.

Each policy matches both providers' type tokens and reads each one's property names: pulumi-aws
(`aws:lambda/...`, e.g. Function `name`, FunctionUrl `authorizationType`) and aws-native
(`aws-native:lambda:...`, CloudFormation's properties in camelCase, e.g. Function `functionName`,
Url `authType`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pulumi_policy import (
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from .archives import PROJECT_DIR_PROPERTY, Unreadable, project_dir, read_members
from .common import (
    escape,
    exempt_config,
    is_exempt,
    is_unknown,
    judged_at_update,
    not_applicable,
    one_of,
    plain,
    string_list,
    string_list_config,
    string_list_property,
)
from .iam_documents import is_unscoped
from .resource_types import kind_tokens, types_of

FUNCTION_TYPES = kind_tokens("function")
CAPACITY_PROVIDER_TYPES = kind_tokens("capacity provider")
PERMISSION_TYPES = kind_tokens("permission")
EVENT_SOURCE_MAPPING_TYPES = kind_tokens("event source mapping")
# The property holding a function URL's auth type, per provider (pulumi-aws, then aws-native).
FUNCTION_URL_AUTH_PROPERTIES = ("authorizationType", "authType")

DEFAULT_RUNTIMES = ["provided.al2023"]
ARCHITECTURE = "arm64"
# Lambda's architecture when a function (or a capacity provider) names none.
AWS_DEFAULT_ARCHITECTURE = "x86_64"
RUST_TARGETS = {"arm64": "aarch64-unknown-linux-gnu", "x86_64": "x86_64-unknown-linux-gnu"}
# ELF e_machine values (the System V ABI's registry) of the two architectures Lambda runs.
ELF_MACHINES = {183: "arm64", 62: "x86_64"}


def known_function_name(props: Mapping[str, Any], fallback: str) -> str:
    """The function's AWS name where it is known (either provider), else `fallback`."""
    for key in ("name", "functionName"):
        value = props.get(key)
        if isinstance(value, str) and value and not is_unknown(value):
            return value
    return fallback


def function_name(args: ResourceValidationArgs, props: Mapping[str, Any]) -> str:
    """The function's AWS name where it is known, else the resource's name."""
    return known_function_name(props, args.name)


def resource_function_name(resource: PolicyResource) -> str:
    """A stack resource's function name where its props carry a known one, else its resource name."""
    return known_function_name(plain(resource.props), resource.name)


def _is_image(props: Mapping[str, Any]) -> bool:
    return props.get("packageType") == "Image"


def _architectures(props: Mapping[str, Any], what: str) -> list[str]:
    value = props.get("architectures")
    if is_unknown(value) or any(is_unknown(v) for v in value or []):
        judged_at_update(f"the architectures of {what}")
    return string_list(value)


# --- lambda-function-runtime --------------------------------------------------------------------


def _validate_runtime(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in FUNCTION_TYPES:
        return
    props = plain(args.props)
    if _is_image(props):
        return  # a container image brings its own runtime
    allowed = string_list(args.get_config().get("allowedRuntimes", DEFAULT_RUNTIMES))
    runtime = props.get("runtime")
    name = function_name(args, props)
    if is_exempt(args.get_config(), args.name, args.urn, name):
        return
    if is_unknown(runtime):
        judged_at_update(f"the runtime of function {name}")
    if not runtime:
        report_violation(f"Function {name} sets no runtime: set runtime to {one_of(allowed)}.{escape(name)}", None)
    elif runtime not in allowed:
        report_violation(
            f"Function {name} uses the runtime {runtime!r}: set runtime to {one_of(allowed)}.{escape(name)}", None
        )


function_runtime = ResourceValidationPolicy(
    name="lambda-function-runtime",
    description="Checks whether every Lambda function uses an allowed runtime (Rust runs on provided.al2023).",
    validate=_validate_runtime,
    remediation_steps="Set runtime to provided.al2023 (Rust binaries named bootstrap); allowedRuntimes lists others.",
    config_schema=exempt_config(allowedRuntimes=string_list_property(DEFAULT_RUNTIMES, "Runtimes functions may use.")),
)


# --- lambda-function-architecture ---------------------------------------------------------------


def _validate_architecture(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in FUNCTION_TYPES:
        return
    props = plain(args.props)
    name = function_name(args, props)
    if is_exempt(args.get_config(), args.name, args.urn, name):
        return
    architectures = _architectures(props, f"function {name}")
    if not architectures:
        report_violation(
            f"Function {name} sets no architectures, so AWS runs it on {AWS_DEFAULT_ARCHITECTURE}: "
            f"set architectures to [{ARCHITECTURE!r}].{escape(name)}",
            None,
        )
    elif architectures != [ARCHITECTURE]:
        report_violation(
            f"Function {name} has architectures {architectures!r}: set architectures to [{ARCHITECTURE!r}]."
            f"{escape(name)}",
            None,
        )


function_architecture = ResourceValidationPolicy(
    name="lambda-function-architecture",
    description="Checks whether every Lambda function runs on arm64 (AWS's default when none is set is x86_64).",
    validate=_validate_architecture,
    config_schema=exempt_config(),
    remediation_steps="Set architectures to ['arm64'] and build with cargo lambda build --arm64.",
)


# --- lambda-capacity-provider-architecture ------------------------------------------------------


def _validate_capacity_provider(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in CAPACITY_PROVIDER_TYPES:
        return
    props = plain(args.props)
    name = props.get("name") or props.get("capacityProviderName") or args.name
    if is_exempt(args.get_config(), args.name, args.urn, name):
        return
    requirements = props.get("instanceRequirements")
    if is_unknown(requirements):
        judged_at_update(f"the instance requirements of capacity provider {name}")
    # pulumi-aws has a list of one block; aws-native (CloudFormation) has one object.
    blocks = [requirements] if isinstance(requirements, Mapping) else list(requirements or [])
    architectures: list[str] = []
    for block in blocks:
        if is_unknown(block):
            judged_at_update(f"the instance requirements of capacity provider {name}")
        architectures += _architectures(block, f"capacity provider {name}")
    if not architectures:
        report_violation(
            f"Capacity provider {name} sets no instance architectures, so AWS launches "
            f"{AWS_DEFAULT_ARCHITECTURE} instances: set instanceRequirements architectures to [{ARCHITECTURE!r}]."
            f"{escape(str(name))}",
            None,
        )
    elif set(architectures) != {ARCHITECTURE}:
        report_violation(
            f"Capacity provider {name} allows {architectures!r} instances: "
            f"set instanceRequirements architectures to [{ARCHITECTURE!r}].{escape(str(name))}",
            None,
        )


capacity_provider_architecture = ResourceValidationPolicy(
    name="lambda-capacity-provider-architecture",
    description="Checks whether every Lambda Managed Instances capacity provider requires arm64 instances.",
    validate=_validate_capacity_provider,
    config_schema=exempt_config(),
    remediation_steps="Set the capacity provider's instanceRequirements architectures to ['arm64'].",
)


# --- lambda-function-code-architecture ----------------------------------------------------------


def _bootstrap_head(code: object, project_dir: Path) -> tuple[str, bytes | None]:
    """Where the code comes from (for messages) and the first 64 bytes of its `bootstrap`, or None
    when the archive has no `bootstrap` at its root. Raises Unreadable when the code is not a local
    archive this process can read."""
    source, members = read_members(code, project_dir, lambda name, _: 64 if name == "bootstrap" else 0)
    return source, next((head for _, head in members), None)


def elf_architecture(head: bytes) -> str | None:
    """The architecture an ELF header declares ("arm64", "x86_64" or "ELF machine N"), or None when
    `head` is not ELF. Read by hand: the pack needs two header fields (EI_DATA for byte order and
    e_machine at offset 18), not an ELF library in its requirements."""
    if len(head) < 20 or head[:4] != b"\x7fELF":
        return None
    machine = int.from_bytes(head[18:20], "big" if head[5] == 2 else "little")
    return ELF_MACHINES.get(machine, f"ELF machine {machine}")


def _validate_code_architecture(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in types_of("lambda-function-code-architecture"):
        return
    props = plain(args.props)
    name = function_name(args, props)
    if is_exempt(args.get_config(), args.name, args.urn, name):
        return
    code = props.get("code")
    if _is_image(props) or code is None or isinstance(code, Mapping):
        # aws-native's `code` is CloudFormation's (S3 object, image, inline text): nothing local.
        not_applicable(args, "the function's code is not a local archive")
    if is_unknown(code):
        judged_at_update(f"the code archive of function {name}")
    architectures = _architectures(props, f"function {name}")
    declared = architectures[0] if architectures else AWS_DEFAULT_ARCHITECTURE
    try:
        source, head = _bootstrap_head(code, project_dir(args.get_config()))
    except Unreadable as e:
        not_applicable(args, str(e))
    if head is None:
        report_violation(
            f"The code of function {name} ({source}) has no bootstrap at its root: package the Rust binary "
            f"as an executable named bootstrap at the root of the archive.{escape(name)}",
            None,
        )
        return
    built = elf_architecture(head)
    if built is None:
        not_applicable(args, f"the bootstrap in {source} is not an ELF binary")
    if built != declared:
        target = RUST_TARGETS.get(declared, declared)
        report_violation(
            f"The bootstrap of function {name} ({source}) is built for {built}, but the function runs on "
            f"{declared}: build it for {target} (or set architectures to match the binary).{escape(name)}",
            None,
        )


function_code_architecture = ResourceValidationPolicy(
    name="lambda-function-code-architecture",
    description=(
        "Checks whether the bootstrap binary in each function's code archive is built for the architecture "
        "the function declares."
    ),
    validate=_validate_code_architecture,
    remediation_steps="Build the bootstrap for the declared architecture (aarch64-unknown-linux-gnu for arm64).",
    config_schema=exempt_config(projectDir=PROJECT_DIR_PROPERTY),
)


# --- lambda-permission-source-arn ---------------------------------------------------------------


def _is_set(value: object) -> bool:
    """Set, or unknown at preview (an unknown value will be set at update)."""
    return value is not None and value != ""


def _validate_permission(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in PERMISSION_TYPES:
        return
    props = plain(args.props)
    principal = props.get("principal")
    if is_unknown(principal):
        judged_at_update("the permission's principal")
    if not isinstance(principal, str) or not principal.endswith(".amazonaws.com"):
        return
    function = props.get("function") or props.get("functionName")
    target = args.name if not isinstance(function, str) or is_unknown(function) else function
    if is_exempt(args.get_config(), args.name, args.urn):
        return
    service = principal.removesuffix(".amazonaws.com")
    if not _is_set(props.get("sourceArn")):
        report_violation(
            f"Permission {args.name} lets {principal} invoke {target} on behalf of any {service} resource, in any "
            f"account: set sourceArn to the ARN of the resource that invokes the function.{escape(args.name)}",
            None,
        )
    if principal == "s3.amazonaws.com" and not _is_set(props.get("sourceAccount")):
        report_violation(
            f"Permission {args.name} lets s3.amazonaws.com invoke {target} without a sourceAccount, and bucket ARNs "
            "carry no account id, so a bucket of that name in another account could invoke it: set sourceAccount "
            f"to the bucket owner's account id.{escape(args.name)}",
            None,
        )


permission_source_arn = ResourceValidationPolicy(
    name="lambda-permission-source-arn",
    description=(
        "Checks whether every Lambda permission for an AWS service principal names its source ARN "
        "(and, for S3, its source account)."
    ),
    validate=_validate_permission,
    config_schema=exempt_config(),
    remediation_steps="Set sourceArn to the invoking resource's ARN (and sourceAccount for S3).",
)


# --- lambda-function-url-auth -------------------------------------------------------------------


def _plain_function_name(reference: str) -> str:
    """`arn:aws:lambda:us-east-1:123456789012:function:name[:qualifier]` or `name` -> `name`."""
    if reference.startswith("arn:"):
        parts = reference.split(":")
        return parts[6] if len(parts) > 6 else reference
    return reference


def _validate_function_url(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in types_of("lambda-function-url-auth"):
        return
    props = plain(args.props)
    # aws-native (and CloudFormation) spell it authType, pulumi-aws authorizationType.
    auth_property = FUNCTION_URL_AUTH_PROPERTIES[1 if args.resource_type.startswith("aws-native:") else 0]
    auth = props.get(auth_property)
    if is_unknown(auth):
        judged_at_update(f"the function URL's {auth_property}")
    if auth == "AWS_IAM":
        return
    reference = props.get("functionName") or props.get("targetFunctionArn")
    allowed = string_list(args.get_config().get("allowedPublicFunctions", []))
    if is_unknown(reference):
        if allowed:
            judged_at_update("the function URL's function name")
        function, allowlist = "its function", "the function's name"
    else:
        function = _plain_function_name(str(reference)) if reference else args.name
        if function in allowed:
            return
        allowlist = repr(function)
    setting = f"uses {auth_property} {auth!r}" if auth else f"sets no {auth_property}"
    report_violation(
        f"Function URL {args.name} {setting}, so anyone on the internet can invoke {function}: "
        f"set {auth_property} to 'AWS_IAM', or add {allowlist} to allowedPublicFunctions if it is meant to be public.",
        None,
    )


function_url_auth = ResourceValidationPolicy(
    name="lambda-function-url-auth",
    description="Checks whether every Lambda function URL requires AWS_IAM auth, unless its function is allowlisted.",
    validate=_validate_function_url,
    remediation_steps=(
        "Use authorizationType AWS_IAM, or list the function in allowedPublicFunctions if it is public on purpose."
    ),
    config_schema=string_list_config(
        "allowedPublicFunctions", [], "Function names whose URLs may be public (auth NONE)."
    ),
)


# --- lambda-event-source-mapping-batch-failures -------------------------------------------------


def _validate_event_source_mapping(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in EVENT_SOURCE_MAPPING_TYPES:
        return
    props = plain(args.props)
    source = props.get("eventSourceArn")
    if is_unknown(source):
        judged_at_update("the event source mapping's eventSourceArn")
    # arn:<partition>:sqs:<region>:<account>:<queue>
    if not isinstance(source, str) or source.split(":")[2:3] != ["sqs"]:
        return
    response_types = props.get("functionResponseTypes")
    if is_unknown(response_types):
        judged_at_update("the event source mapping's functionResponseTypes")
    if "ReportBatchItemFailures" in string_list(response_types) or is_exempt(args.get_config(), args.name, args.urn):
        return
    report_violation(
        f"SQS event source mapping {args.name} does not report batch item failures, so one failed message makes "
        "Lambda retry the whole batch: set functionResponseTypes to ['ReportBatchItemFailures'] and return the "
        f"failed message ids.{escape(args.name)}",
        None,
    )


event_source_mapping_batch_failures = ResourceValidationPolicy(
    name="lambda-event-source-mapping-batch-failures",
    description="Checks whether every SQS event source mapping reports batch item failures.",
    validate=_validate_event_source_mapping,
    config_schema=exempt_config(),
    remediation_steps="Set functionResponseTypes to ['ReportBatchItemFailures'] and return the failed message ids.",
)


# --- lambda-permission-public-invoke ------------------------------------------------------------

INVOKE_ACTIONS = frozenset({"lambda:InvokeFunction", "lambda:InvokeFunctionUrl", "lambda:*", "*"})
# Properties that limit who may invoke under principal "*" (pulumi-aws and aws-native spell them alike).
NARROWING_PERMISSION_PROPERTIES = ("sourceArn", "sourceAccount", "principalOrgId")


def _narrows(value: object) -> bool:
    """A sourceArn, sourceAccount or principalOrgId that names something ('*' or 'arn:aws:s3:::*' does not)."""
    return _is_set(value) and not (isinstance(value, str) and is_unscoped(value))


def _validate_public_invoke(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in PERMISSION_TYPES:
        return
    props = plain(args.props)
    principal, action = props.get("principal"), props.get("action")
    if is_unknown(principal) or is_unknown(action):
        judged_at_update(f"the principal and action of permission {args.name}")
    if principal != "*" or action not in INVOKE_ACTIONS:
        return
    if any(_narrows(props.get(p)) for p in NARROWING_PERMISSION_PROPERTIES):
        return
    function = props.get("function") or props.get("functionName")
    target = _plain_function_name(function) if isinstance(function, str) and not is_unknown(function) else args.name
    via_url = action == "lambda:InvokeFunctionUrl" or props.get("invokedViaFunctionUrl") is True
    url_auth = props.get("functionUrlAuthType")
    if via_url and url_auth == "NONE":
        if target in string_list(args.get_config().get("allowedPublicFunctions", [])):
            return
        who = "anyone on the internet (through its function URL)"
        fix = f"require AWS_IAM on the URL, or add {target!r} to allowedPublicFunctions if it is meant to be public."
    else:
        if is_exempt(args.get_config(), args.name, args.urn, target):
            return
        who = "any AWS principal of any account" + (" (through its AWS_IAM function URL)" if via_url else "")
        fix = "name the calling account or service as principal, or set sourceAccount, sourceArn or principalOrgId."
        fix += escape(target)
    report_violation(
        f"Permission {args.name} lets {who} invoke {target} (principal '*', action {action!r}, no sourceArn, "
        f"sourceAccount or principalOrgId): {fix}",
        None,
    )


public_invoke = ResourceValidationPolicy(
    name="lambda-permission-public-invoke",
    description=(
        "Checks whether any Lambda permission lets principal '*' invoke a function (or its AWS_IAM URL) without a "
        "sourceArn, sourceAccount or principalOrgId."
    ),
    validate=_validate_public_invoke,
    config_schema=exempt_config(
        allowedPublicFunctions=string_list_property(
            [], "Function names whose URLs may be public (auth NONE), as in lambda-function-url-auth."
        )
    ),
    remediation_steps=(
        "Grant invoke to a named account or service principal, or narrow principal '*' with sourceAccount, sourceArn "
        "or principalOrgId. A function public on purpose is named in allowedPublicFunctions (URLs with auth NONE) "
        "or exemptResources."
    ),
)


# --- lambda-function-package-type ---------------------------------------------------------------


def _image_uri(props: Mapping[str, Any]) -> object:
    """The image of a container-image function (pulumi-aws imageUri, aws-native code.imageUri)."""
    code = props.get("code")
    return props.get("imageUri") or (code.get("imageUri") if isinstance(code, Mapping) else None)


def _validate_package_type(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in FUNCTION_TYPES:
        return
    props = plain(args.props)
    package_type = props.get("packageType")
    if is_unknown(package_type):
        judged_at_update(f"the packageType of function {function_name(args, props)}")
    if package_type != "Image" and not _image_uri(props):
        return
    name = function_name(args, props)
    if is_exempt(args.get_config(), args.name, args.urn, name):
        return
    report_violation(
        f"Function {name} is a container image ({_image_uri(props) or 'packageType Image'}), which has no runtime "
        "field and whose binary this pack cannot read, so neither provided.al2023 nor the bootstrap's architecture "
        f"can be checked: ship a zip with runtime 'provided.al2023', or add {name!r} to exemptResources if the image "
        "is reviewed elsewhere.",
        None,
    )


package_type = ResourceValidationPolicy(
    name="lambda-function-package-type",
    description="Checks whether every Lambda function ships as a zip archive (container images only where allowed).",
    validate=_validate_package_type,
    config_schema=exempt_config(),
    remediation_steps=(
        "Build the function as a zip with a bootstrap (cargo lambda build) and set runtime provided.al2023. An image "
        "function reviewed by other means is named in exemptResources."
    ),
)
