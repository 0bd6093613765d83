"""What every trigger kind provides, and what it is given.

A trigger kind is one module in this package with a `KIND` object (see `TriggerKind`). LambdaService
asks it, before the function exists, what the function needs (`prepare`: queues and the IAM
statements for them, an on-failure destination), creates the function with those needs, then lets
the kind attach its event source to the function's invoke target, its `live` alias
(`TriggerPlan.attach`). Where the function runs (standard Lambda or Managed Instances) is not the
kind's business: any kind works on either placement. A kind never looks at another kind, and LambdaService never looks
inside a kind: adding a kind is one module here, one model in model/contract.py and one line in
the registry (components/triggers/__init__.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import pulumi
import pulumi_aws as aws

from components.alias import InvokeTarget
from components.codedeploy import CodeDeployApplication
from components.queues import WorkQueue, WorkQueueArgs
from model import arns, iam
from model.stack_config import FunctionSettings, StackSettings

SpecT_contra = TypeVar("SpecT_contra", contravariant=True)


@dataclass(frozen=True)
class SharedResources:
    """What the program creates once for every function: looked up by the contract's names."""

    account_id: pulumi.Input[str]
    # The stack's permissions boundary (ci_access/): every role the stack creates carries it.
    permissions_boundary: pulumi.Input[str]
    tables: Mapping[str, aws.dynamodb.Table]
    buckets: Mapping[str, aws.s3.Bucket]
    secrets: Mapping[str, aws.secretsmanager.Secret]
    region: pulumi.Input[str]
    alarm_topic_arn: pulumi.Input[str]
    capacity_provider_arn: pulumi.Input[str] | None = None
    # The CodeDeploy application and its service role, when a function releases gradually.
    codedeploy: CodeDeployApplication | None = None
    # The telemetry extension's layer version, attached to the functions whose settings ask for it.
    extension_layer_arn: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class TriggerScope:
    """What a kind is given to prepare its resources: they are children of `parent`, named
    `f"{name}-<role>"`."""

    name: str
    parent: pulumi.Resource
    # The AWS name the function will have (queues and rules are named after it).
    function_name: str
    function: FunctionSettings
    stack: StackSettings
    shared: SharedResources

    @property
    def child(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self.parent)


def async_failure_queue(scope: TriggerScope) -> WorkQueue:
    """The queue an asynchronously invoked function's failed events land in, after Lambda's retries."""
    return WorkQueue(
        f"{scope.name}-failures",
        WorkQueueArgs(queue_name=f"{scope.function_name}-failures", tags=scope.stack.tags),
        scope.child,
    )


def known_queue_arn(scope: TriggerScope, name: pulumi.Input[str]) -> pulumi.Output[str]:
    """A queue's ARN from its name, the stack's region and account (model.arns): known at preview,
    unlike the queue's `arn` output."""
    return pulumi.Output.all(scope.shared.region, scope.shared.account_id, name).apply(
        lambda v: arns.queue_arn(str(v[0]), str(v[1]), str(v[2]))
    )


def no_attachment(target: InvokeTarget) -> Mapping[str, pulumi.Output[str]]:
    """For kinds whose function is invoked directly: nothing to attach, nothing to export."""
    return {}


@dataclass(frozen=True)
class TriggerPlan:
    """A kind's answer to `prepare`: what the function needs, and how to attach the event source."""

    # IAM statements the function's role needs for the trigger's own resources (e.g. its queue).
    statements: Sequence[pulumi.Input[iam.Statement]] = ()
    # Async invocations that fail after Lambda's retries go here.
    on_failure_queue_arn: pulumi.Input[str] | None = None
    # Every queue the trigger's failed events land in (a dead-letter queue, the on-failure queue of
    # an asynchronous invocation): the function's alarms watch the depth of each.
    failure_queue_names: Sequence[pulumi.Input[str]] = ()
    # The queues the trigger reads events from (the dashboard shows their depth and age).
    source_queue_names: Sequence[pulumi.Input[str]] = ()
    # Creates the event source once the function exists; returns the stack exports it adds (export
    # name, one of the kind's `exports`, -> value).
    attach: Callable[[InvokeTarget], Mapping[str, pulumi.Output[str]]] = field(default=no_attachment)


class TriggerKind(Protocol[SpecT_contra]):
    """One kind of trigger: `type` is its contract model's `type` value."""

    type: str
    # The stack outputs it may add a value to, per function (e.g. "queueUrls").
    exports: tuple[str, ...]

    def prepare(self, trigger: SpecT_contra, scope: TriggerScope) -> TriggerPlan: ...
