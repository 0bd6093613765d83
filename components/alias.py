"""LiveAlias: the `live` alias every trigger invokes, and what hangs on it.

Owns: the alias and, for functions invoked asynchronously (S3, EventBridge), its on-failure
destination (FunctionEventInvokeConfig on the alias: failed events land in a queue after Lambda's
retries). Triggers get the alias as an `InvokeTarget`: event sources target its ARN; invoke
permissions and Function URLs name the function with its qualifier.

Which version the alias serves belongs to the release step (components/release.py): it shifts
traffic after its checks, at once or through CodeDeploy, and rolls back. So that state and AWS
agree after every outcome, the alias's inputs are what AWS has right now, read at preview and at up
(`scripts/alias-state`, release/alias_state.py): a `pulumi up` records where the last release left
the alias and never moves traffic itself (an UpdateAlias with the values AWS already holds changes
nothing). Only a new alias starts on the function's newest version.

Provisioned concurrency is not here: the release step allocates it to each version before that
version takes traffic and releases it from versions that no longer serve (release/capacity.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from pulumi_command import local

from release.alias_state import COMMAND, AliasState

LIVE_ALIAS = "live"
# Lambda retries a failed asynchronous invocation twice (its default, stated explicitly).
ASYNC_RETRIES = 2


@dataclass(frozen=True)
class InvokeTarget:
    """What an event source invokes: the function's `live` alias. Event sources target `arn` (the
    alias's ARN); invoke permissions and URLs name the function with `qualifier` (the alias)."""

    function_name: pulumi.Output[str]
    arn: pulumi.Output[str]
    qualifier: pulumi.Output[str]


def read_alias_state(function_name: str, alias: str, region: str, parent: pulumi.Resource) -> AliasState:
    """Where the alias points in AWS now (at preview and at up), through pulumi-command's `local.run`
    invoke; `exists=False` for a function or alias not created yet."""
    result = local.run(
        command=f"{COMMAND} --function {function_name} --alias {alias} --region {region}",
        opts=pulumi.InvokeOptions(parent=parent),
    )
    return AliasState.from_json(result.stdout)


@dataclass(frozen=True)
class LiveAliasArgs:
    function_name: pulumi.Input[str]
    # The version the function's last update published: where a new alias starts.
    newest_version: pulumi.Input[str]
    # The alias as AWS has it (read_alias_state).
    current: AliasState
    # Async triggers (S3, EventBridge): failed events go to this queue after Lambda's retries.
    on_failure_queue_arn: pulumi.Input[str] | None = None


def alias_routing(current: AliasState) -> aws.lambda_.AliasRoutingConfigArgs | None:
    """The alias's routing weights as AWS has them (a release in progress, or none)."""
    if not current.exists or not current.weights:
        return None
    return aws.lambda_.AliasRoutingConfigArgs(additional_version_weights=dict(current.weights))


class LiveAlias(pulumi.ComponentResource):
    alias: aws.lambda_.Alias
    target: InvokeTarget

    def __init__(self, name: str, args: LiveAliasArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:LiveAlias", name, None, opts)
        current = args.current
        # Stacks deployed before this component existed hold the alias and its async config directly
        # under the function (`<function>-live`, `<function>-async`): these aliases keep them, so an
        # upgrade moves no resource.
        function_resource = opts.parent if opts is not None else None
        prefix = name.removesuffix("-live")

        def previous(old_name: str) -> list[pulumi.Input[pulumi.Alias]]:
            return [pulumi.Alias(name=old_name, parent=function_resource)] if function_resource is not None else []

        self.alias = aws.lambda_.Alias(
            f"{name}-alias",
            name=LIVE_ALIAS,
            function_name=args.function_name,
            function_version=current.version if current.exists else args.newest_version,
            routing_config=alias_routing(current),
            description="The version triggers invoke; moved by the release step only.",
            opts=pulumi.ResourceOptions(parent=self, aliases=previous(name)),
        )
        self.target = InvokeTarget(pulumi.Output.from_input(args.function_name), self.alias.arn, self.alias.name)
        if args.on_failure_queue_arn is not None:
            aws.lambda_.FunctionEventInvokeConfig(
                f"{name}-async",
                function_name=args.function_name,
                # Async event sources invoke the alias: the destination is configured for it.
                qualifier=self.alias.name,
                maximum_retry_attempts=ASYNC_RETRIES,
                destination_config=aws.lambda_.FunctionEventInvokeConfigDestinationConfigArgs(
                    on_failure=aws.lambda_.FunctionEventInvokeConfigDestinationConfigOnFailureArgs(
                        destination=args.on_failure_queue_arn
                    )
                ),
                opts=pulumi.ResourceOptions(parent=self, aliases=previous(f"{prefix}-async")),
            )
        self.register_outputs({"alias_arn": self.alias.arn})
