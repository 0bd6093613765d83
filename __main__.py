"""The Pulumi program: reads the stack's config and the function contracts, builds the components,
exports what users need. It creates no resources itself; see components/."""

from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.alarms import AlarmTopic, AlarmTopicArgs
from components.buckets import Buckets, BucketsArgs
from components.build import WorkspaceBuild, WorkspaceBuildArgs, prebuilt_manifest
from components.codedeploy import CodeDeployApplication, CodeDeployApplicationArgs
from components.layer import TELEMETRY_EXTENSION, ExtensionLayer, ExtensionLayerArgs
from components.managed_instances import ManagedInstances, ManagedInstancesArgs
from components.observability import Observability, ObservabilityArgs
from components.secrets import Secrets, SecretsArgs
from components.service import LambdaService, LambdaServiceArgs
from components.tables import Tables, TablesArgs
from components.triggers import TRIGGER_EXPORTS
from components.triggers.base import SharedResources
from model import stack_config
from model.contract import declared_secrets, load_contracts, table_access
from model.naming import codedeploy_role_arn, operator_boundary_arn, permissions_boundary_arn

PROJECT_DIR = Path(__file__).resolve().parent

config = pulumi.Config()
contracts = load_contracts(PROJECT_DIR / "functions")
# The region is the AWS provider's (`aws:region` in the stack file); the program reads it once.
settings = stack_config.load(
    config, contracts, pulumi.get_project(), pulumi.get_stack(), pulumi.Config("aws").require("region")
)
prefix = f"{settings.project}-{settings.stack}"
tags = settings.tags
account_id = aws.get_caller_identity_output().account_id
region = aws.get_region_output().region
boundary = account_id.apply(lambda account: permissions_boundary_arn(account, settings.project, settings.stack))
operator_boundary = account_id.apply(lambda account: operator_boundary_arn(account, settings.project, settings.stack))

features = settings.open_telemetry.cargo_features
build = WorkspaceBuild("functions", WorkspaceBuildArgs(PROJECT_DIR, features, prebuilt_manifest()))
tables = Tables("tables", TablesArgs(name_prefix=prefix, contracts=contracts, tags=tags))
buckets = Buckets("buckets", BucketsArgs(name_prefix=prefix, account_id=account_id, contracts=contracts, tags=tags))
secrets = Secrets("secrets", SecretsArgs(prefix, declared_secrets(contracts), settings.secret_kms_key_arn, tags=tags))
topic = AlarmTopic("alarms", AlarmTopicArgs(f"{prefix}-alarms", settings.alarms.topic_arn, tags))
capacity = None
if settings.managed_instances.enabled:
    on_provider = [c for c in contracts if settings.functions[c.name].managed_instances is not None]
    access = table_access(on_provider)
    arns, actions = {t: tables.tables[t].arn for t in access}, sorted({a for acts in access.values() for a in acts})
    mi = ManagedInstancesArgs(
        prefix, settings.managed_instances, account_id, region, tags, operator_boundary, arns, actions
    )
    capacity = ManagedInstances("managed-instances", mi)
codedeploy = None
if any(f.deployment.gradual for f in settings.functions.values()):
    role = account_id.apply(lambda account: codedeploy_role_arn(account, settings.project, settings.stack))
    release_args = CodeDeployApplicationArgs(prefix, role, tags)
    codedeploy = CodeDeployApplication("codedeploy", release_args)
extension = None
if any(f.telemetry_extension for f in settings.functions.values()):
    extension = ExtensionLayer(TELEMETRY_EXTENSION, ExtensionLayerArgs(prefix, build.layers[TELEMETRY_EXTENSION]))
shared = SharedResources(
    account_id=account_id,
    permissions_boundary=boundary,
    tables=tables.tables,
    buckets=buckets.buckets,
    secrets=secrets.secrets,
    region=region,
    alarm_topic_arn=topic.arn,
    capacity_provider_arn=capacity.arn if capacity else None,
    codedeploy=codedeploy,
    extension_layer_arn=extension.arn if extension else None,
)
services = {
    c.name: LambdaService(
        c.name, LambdaServiceArgs(c, settings.functions[c.name], build.artifacts[c.name], settings, shared)
    )
    for c in contracts
}
Observability("observability", ObservabilityArgs(prefix, region, list(services.values())))

pulumi.export("functionNames", {name: s.function.function_name for name, s in services.items()})
pulumi.export("functionArns", {name: s.function.target.arn for name, s in services.items()})
for export in TRIGGER_EXPORTS:
    pulumi.export(export, {name: s.exports[export] for name, s in services.items() if export in s.exports})
pulumi.export("bucketNames", {name: b.bucket for name, b in buckets.buckets.items()})
pulumi.export("tableNames", {name: t.name for name, t in tables.tables.items()})
# The commit whose build this deploy shipped (a promoted build's; None for a local build): the deploy
# workflow refuses to deploy an older commit over it (pipeline/deploy_order.py).
pulumi.export("deployedCommit", build.commit)
