"""Runs the real Pulumi program under Pulumi's mock monitor and records every resource it registers.

The mock monitor stands in for the engine and the cloud only: the program, its components and the
workspace build run for real (the `command:local:run` invoke executes the requested command, as
pulumi-command would). Each registration keeps the raw wire-format inputs (camelCase keys,
secrets wrapped in Pulumi's secret signature, unknowns as the unknown sentinel), its parent, and
its dependencies per property, which is what the policy pack and the plan need.

Run one program per process (Pulumi's runtime state is global):
    python -m offline.engine --stack dev --out plan.json
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import runpy
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml  # PyYAML comes with the Pulumi SDK
from google.protobuf import json_format
from pulumi.output import Unknown
from pulumi.runtime import mocks, settings

from offline.deployed import Deployed
from offline.plan import ARCHIVE_SIG, SECRET_SIGNATURE, UNKNOWN
from release import alias_state

REPO_ROOT = Path(__file__).resolve().parent.parent
# Pulumi's wire format marks special values (secrets, assets, archives) with this key.
# The account ARNs name when the stack's config allows none (aws:allowedAccountIds), and the region
# of component tests that run without a stack; a program run takes its region from the stack.
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"


@dataclass
class Registration:
    type: str
    name: str
    urn: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    replace_on_changes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class World:
    """Where the mock engine pretends to run: the answers of getCallerIdentity and getRegion, the
    account and region in the ARNs it computes, and what AWS holds from earlier runs
    (offline/deployed.py: published versions, aliases, subnets' zones)."""

    account_id: str = ACCOUNT_ID
    region: str = REGION
    deployed: Deployed = field(default_factory=Deployed, compare=False)

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account_id}:{resource}"


def computed_outputs(
    world: World, type_: str, name: str, inputs: dict[str, Any], preview: bool = False
) -> dict[str, Any]:
    """The outputs AWS would compute, shaped like the real provider's (for ARNs and names). An update
    (`preview` false) also records in `world.deployed` what it publishes and where aliases point."""
    given = inputs.get("name") or name
    account, region, arn = world.account_id, world.region, world.arn
    state: dict[str, Any] = {}
    if type_ == "aws:iam/role:Role":
        state = {"arn": f"arn:aws:iam::{account}:role/{given}", "name": given}
    elif type_ == "aws:lambda/function:Function":
        function_arn = arn("lambda", f"function:{given}")
        version = world.deployed.version(given, inputs, publish_digest(inputs), preview)
        state = {
            "arn": function_arn,
            "qualifiedArn": f"{function_arn}:{version}",
            "invokeArn": f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations",
            "version": version,
        }
    elif type_ == "aws:lambda/alias:Alias":
        if not preview:
            world.deployed.record_alias(inputs)
        alias_arn = arn("lambda", f"function:{inputs.get('functionName')}:{given}")
        state = {
            "arn": alias_arn,
            "invokeArn": f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{alias_arn}/invocations",
        }
    elif type_ == "aws:codedeploy/application:Application":
        state = {"arn": arn("codedeploy", f"application:{given}")}
    elif type_ == "aws:codedeploy/deploymentGroup:DeploymentGroup":
        group = f"{inputs.get('appName')}/{inputs.get('deploymentGroupName')}"
        state = {"arn": arn("codedeploy", f"deploymentgroup:{group}")}
    elif type_ == "aws:cloudwatch/logGroup:LogGroup":
        state = {"arn": arn("logs", f"log-group:{given}")}
    elif type_ == "aws:sqs/queue:Queue":
        state = {"arn": arn("sqs", given), "url": f"https://sqs.{region}.amazonaws.com/{account}/{given}"}
    elif type_ == "aws:s3/bucket:Bucket":
        # With a prefix, AWS-side autonaming appends a unique suffix: a fixed one here.
        bucket = inputs.get("bucket") or (inputs["bucketPrefix"] + "20261127" if "bucketPrefix" in inputs else name)
        state = {"arn": f"arn:aws:s3:::{bucket}", "bucket": bucket}
    elif type_ == "aws:dynamodb/table:Table":
        state = {"arn": arn("dynamodb", f"table/{given}")}
    elif type_ == "aws:secretsmanager/secret:Secret":
        state = {"arn": arn("secretsmanager", f"secret:{given}-AbCdEf")}
    elif type_ == "aws:sns/topic:Topic":
        state = {"arn": arn("sns", given)}
    elif type_ == "aws:cloudwatch/eventRule:EventRule":
        state = {"arn": arn("events", f"rule/{given}")}
    elif type_ == "aws:apigatewayv2/api:Api":
        state = {
            "apiEndpoint": f"https://{name}.execute-api.{region}.amazonaws.com",
            "executionArn": arn("execute-api", name),
            "arn": f"arn:aws:apigateway:{region}::/apis/{name}",
        }
    elif type_ == "aws:lambda/functionUrl:FunctionUrl":
        state = {"functionUrl": f"https://{name}.lambda-url.{region}.on.aws/"}
    elif type_ == "aws:lambda/capacityProvider:CapacityProvider":
        state = {"arn": arn("lambda", f"capacity-provider:{given}")}
    elif type_ == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
        state = {"arn": f"arn:aws:iam::{account}:oidc-provider/token.actions.githubusercontent.com"}
    elif type_ == "aws:lambda/layerVersion:LayerVersion":
        layer_arn = arn("lambda", f"layer:{inputs.get('layerName') or name}")
        version = layer_version(inputs)
        state = {"arn": f"{layer_arn}:{version}", "layerArn": layer_arn, "version": version}
    elif type_ == "aws:cloudwatch/dashboard:Dashboard":
        state = {"dashboardArn": f"arn:aws:cloudwatch::{account}:dashboard/{inputs.get('dashboardName') or name}"}
    elif type_ == "aws:cloudwatch/queryDefinition:QueryDefinition":
        state = {"queryDefinitionId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{account}/{region}/{given}"))}
    return {**inputs, **state}


def layer_version(inputs: dict[str, Any]) -> str:
    """The stand-in for a layer's version number: AWS numbers them in order, which no offline run can
    know, so the mock engine derives one from the code archive's bytes and the layer's other inputs:
    new bytes give a new number (and a new ARN in each function's `layers`), as a published layer does."""
    return str(1 + int(inputs_digest(inputs)[:7], 16) % 9_999_999)


# What Lambda does not publish a new version for: a change of tags alone.
UNPUBLISHED_INPUTS = frozenset({"tags", "tagsAll"})


def publish_digest(inputs: dict[str, Any]) -> str:
    """What a publishing function's version stands for: its code archive's bytes and its
    configuration (not its tags, which publish nothing)."""
    return inputs_digest({k: v for k, v in inputs.items() if k not in UNPUBLISHED_INPUTS})


def inputs_digest(inputs: dict[str, Any]) -> str:
    """sha256 of a resource's inputs, each file archive counted by its bytes."""
    return hashlib.sha256(json.dumps(with_archive_digests(inputs), sort_keys=True).encode()).hexdigest()


def with_archive_digests(inputs: Any, base: Path | None = None) -> Any:
    """Inputs with each file archive replaced by its path and the sha256 of its bytes (relative
    paths are resolved against `base`, else the working directory: the program's project)."""
    if isinstance(inputs, pulumi.FileArchive | pulumi.FileAsset):  # as the mocks receive them
        return _file_digest(str(inputs.path), base)
    if isinstance(inputs, dict):
        if inputs.get(SECRET_SIGNATURE) == ARCHIVE_SIG and "path" in inputs:  # in the wire format
            return _file_digest(inputs["path"], base)
        return {k: with_archive_digests(v, base) for k, v in inputs.items()}
    if isinstance(inputs, list):
        return [with_archive_digests(v, base) for v in inputs]
    return inputs


def _file_digest(relative: str, base: Path | None) -> dict[str, Any]:
    path = (base or Path.cwd()) / relative
    return {"path": relative, "sha256": hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None}


class UnansweredInvoke(RuntimeError):
    """The program called an invoke the mock engine has no answer for."""


# Names the provider generates from inputs when the program sets none (pulumi-aws autonaming, in its
# Check step): known at preview, unlike the outputs AWS computes. The mock's stand-in is the
# resource's name (the real provider appends a random suffix).
AUTONAMED = {
    "aws:iam/role:Role": "name",
    "aws:iam/policy:Policy": "name",
    "aws:sqs/queue:Queue": "name",
    "aws:sns/topic:Topic": "name",
    "aws:lambda/function:Function": "name",
    "aws:cloudwatch/logGroup:LogGroup": "name",
    "aws:cloudwatch/eventRule:EventRule": "name",
    "aws:dynamodb/table:Table": "name",
    "aws:secretsmanager/secret:Secret": "name",
    "aws:lambda/capacityProvider:CapacityProvider": "name",
}


def created_at_preview(type_: str, name: str, inputs: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    """The outputs of a resource being created, as the engine knows them at preview: the inputs
    (the provider echoes them) and the name it autonames from them; every output AWS computes (ARNs,
    ids, URLs, versions, a name AWS derives from a prefix) is unknown until the resource exists.

    Omits: provider defaults of optional inputs (known at preview for a real provider, absent here
    as they are from the inputs), and outputs a provider can compute from inputs alone but still
    reports as unknown or known case by case."""
    known = dict(inputs)
    autonamed = AUTONAMED.get(type_)
    if autonamed is not None and autonamed not in inputs:
        known[autonamed] = outputs.get(autonamed, name)
    return {**{key: UNKNOWN for key in outputs if key not in known}, **known}


def with_unknown_sentinels(inputs: Any) -> Any:
    """Inputs with each unknown value (an Output not known at preview, which the SDK hands the mocks
    as `Unknown`) as the wire's unknown sentinel, which the SDK reads back as unknown."""
    if isinstance(inputs, Unknown):
        return UNKNOWN
    if isinstance(inputs, dict):
        return {k: with_unknown_sentinels(v) for k, v in inputs.items()}
    if isinstance(inputs, list):
        return [with_unknown_sentinels(v) for v in inputs]
    return inputs


class ProgramMocks(mocks.Mocks):
    """Answers the program's registrations and invokes. `preview` false is an update: versions are
    numbered and recorded in the world's deployed state. With `new_stack`, a preview sees what the
    real engine sees for a stack that does not exist yet: every resource is being created, so the
    outputs AWS computes are unknown (`created_at_preview`) and so is each resource's id; invokes
    (account, region) still answer, as they run at preview."""

    def __init__(self, world: World, preview: bool = True, new_stack: bool = False) -> None:
        self.world = world
        self.preview = preview
        self.new_stack = new_stack

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if self.new_stack and args.custom and settings.is_dry_run():
            inputs = with_unknown_sentinels(args.inputs)
            outputs = computed_outputs(self.world, args.typ, args.name, inputs, self.preview)
            return "", created_at_preview(args.typ, args.name, inputs, outputs)
        return f"{args.name}-id", computed_outputs(self.world, args.typ, args.name, args.inputs, self.preview)

    def call(self, args: mocks.MockCallArgs) -> Any:
        account, region = self.world.account_id, self.world.region
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": account, "arn": f"arn:aws:iam::{account}:user/offline", "userId": "offline"}
        if args.token == "aws:index/getRegion:getRegion":
            return {"name": region, "region": region, "id": region}
        if args.token == "aws:ec2/getSubnet:getSubnet":
            subnet = str(args.args.get("id"))
            return {"id": subnet, "availabilityZone": self.world.deployed.subnet_zone(subnet, region)}
        if args.token == "command:local:run":
            command = str(args.args.get("command", ""))
            if command.startswith(alias_state.COMMAND + " "):
                return self._alias_state(command)
            return _run_command(args.args)
        raise UnansweredInvoke(
            f"the offline engine does not answer the invoke {args.token}: add it to ProgramMocks.call"
        )

    def _alias_state(self, command: str) -> dict[str, Any]:
        """`scripts/alias-state`, answered from the modelled AWS instead of the real one."""
        words = command.split()
        option = dict(zip(words[1::2], words[2::2], strict=False))
        state = self.world.deployed.alias(option["--function"], option["--alias"])
        return {"stdout": state.to_json(), "stderr": "", "command": command}


def _run_command(args: dict[str, Any]) -> dict[str, Any]:
    """Runs a pulumi-command `local.run` for real, with the program's working directory. Its
    stderr (the build's progress) streams to ours; a failure raises with its last lines, as
    pulumi-command's error carries the command's output."""
    process = subprocess.Popen(
        args["command"],
        shell=True,
        cwd=args.get("dir") or os.getcwd(),
        env={**os.environ, **(args.get("environment") or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None and process.stdout is not None
    tail: list[str] = []
    for line in process.stderr:
        sys.stderr.write(line)
        tail = [*tail[-39:], line]
    stdout = process.stdout.read()
    if process.wait() != 0:
        raise RuntimeError(
            f"local.run {args['command']!r} failed with exit code {process.returncode}:\n{''.join(tail)}"
        )
    return {"stdout": stdout, "stderr": "".join(tail), "command": args["command"]}


class RecordingMonitor(mocks.MockMonitor):
    """The mock monitor, keeping each raw RegisterResourceRequest."""

    def __init__(self, program_mocks: mocks.Mocks) -> None:
        super().__init__(program_mocks)
        self.registrations: list[Registration] = []
        self.stack_outputs: dict[str, Any] = {}

    def RegisterResourceOutputs(self, request: Any) -> Any:
        if request.urn.split("::")[2] == "pulumi:pulumi:Stack":
            self.stack_outputs = json_format.MessageToDict(request.outputs)
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if any(r.urn == response.urn for r in self.registrations):
            # set_mocks registers a root stack of its own before the program's: record it once.
            return response
        self.registrations.append(
            Registration(
                type=request.type,
                name=request.name,
                urn=response.urn,
                parent=request.parent,
                custom=request.custom,
                inputs=json_format.MessageToDict(request.object),
                # Sets in the protocol; sorted so that two runs compare equal.
                dependencies=sorted(request.dependencies),
                property_dependencies={k: sorted(v.urns) for k, v in sorted(request.propertyDependencies.items())},
                replace_on_changes=list(request.replaceOnChanges),
            )
        )
        return response


class OfflineConfigError(ValueError):
    """The stack's config lacks what the Pulumi CLI or the AWS provider would require."""


def project_file(project_dir: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((project_dir / "Pulumi.yaml").read_text()) or {}
    return loaded


def stack_config(project_dir: Path, stack: str) -> dict[str, Any]:
    """The stack's config as the CLI hands it to the program: the stack file's keys, plus the
    defaults Pulumi.yaml declares for the project's keys that the stack does not set."""
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"no stack file {path.name}: create it or pick another stack")
    loaded = yaml.safe_load(path.read_text()) or {}
    project = project_file(project_dir)
    defaults = {
        f"{project['name']}:{key}": spec["default"]
        for key, spec in (project.get("config") or {}).items()
        if isinstance(spec, dict) and "default" in spec
    }
    return {**defaults, **(loaded.get("config") or {})}


def check_required(project_dir: Path, stack: str, config: dict[str, Any]) -> None:
    """What the CLI checks before it runs a program: every key Pulumi.yaml declares without a
    default is set, and the AWS provider has a region."""
    project = project_file(project_dir)
    for key, spec in (project.get("config") or {}).items():
        namespaced = f"{project['name']}:{key}"
        if isinstance(spec, dict) and "default" not in spec and namespaced not in config:
            raise OfflineConfigError(f"Stack '{stack}' is missing configuration value '{namespaced}'")
    if "aws:region" not in config:
        raise OfflineConfigError(
            f"Stack '{stack}' sets no aws:region: set it in Pulumi.{stack}.yaml (pulumi config set aws:region ...)"
        )


def world_of(config: dict[str, Any], deployed: Deployed | None = None) -> World:
    """The region the stack deploys to, its account when the stack pins one (aws:allowedAccountIds),
    and what AWS holds from earlier runs (none: a stack that does not exist yet)."""
    allowed = config.get("aws:allowedAccountIds")
    accounts = json.loads(allowed) if isinstance(allowed, str) else allowed
    return World(
        account_id=str(accounts[0]) if accounts else ACCOUNT_ID,
        region=str(config.get("aws:region") or REGION),
        deployed=deployed if deployed is not None else Deployed(),
    )


def run_callable(
    program: Callable[[], None],
    stack: str,
    config: dict[str, Any],
    preview: bool = True,
    project: str | None = None,
    deployed: Deployed | None = None,
    new_stack: bool = False,
) -> tuple[list[Registration], dict[str, Any]]:
    """Runs `program` as a Pulumi program once; returns its registrations and stack outputs.
    `config` holds namespaced keys; structured values are sent as JSON, as the CLI does. `project`
    is the Pulumi project the program runs as (default: the repository's, from its Pulumi.yaml).
    The mock engine's account and region come from the config (world_of); `deployed` is what AWS
    holds from earlier runs, which an update (`preview` false) changes in place. `new_stack` previews
    a stack that does not exist yet, with the unknowns the real engine has (ProgramMocks)."""
    world = world_of(config, deployed)
    # The loop first: set_mocks registers the root stack on the current event loop.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    mocks_ = ProgramMocks(world, preview, new_stack)
    monitor = RecordingMonitor(mocks_)
    wire_config = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
    pulumi.runtime.set_all_config(wire_config, secret_keys=[])
    project_name = project or str(project_file(REPO_ROOT)["name"])
    mocks.set_mocks(mocks_, project=project_name, stack=stack, preview=preview, monitor=monitor)
    # set_mocks opens a root stack of its own; run_in_stack opens the one the program's
    # exports land on, as the CLI's entry point does.
    settings.set_root_resource(None)  # type: ignore[arg-type]  # None clears it
    try:
        loop.run_until_complete(pulumi.runtime.stack.run_in_stack(program))
    finally:
        loop.close()
    return monitor.registrations, monitor.stack_outputs


def run_program(
    project_dir: Path,
    stack: str,
    config: dict[str, Any],
    preview: bool = True,
    deployed: Deployed | None = None,
    new_stack: bool = False,
) -> tuple[list[Registration], dict[str, Any]]:
    """Runs the project's `__main__.py` (from the project directory, as the CLI would), as the
    project its Pulumi.yaml names, after the CLI's checks of its config."""
    check_required(project_dir, stack, config)

    def program() -> None:
        os.chdir(project_dir)
        runpy.run_path(str(project_dir / "__main__.py"), run_name="__main__")

    return run_callable(program, stack, config, preview, str(project_file(project_dir)["name"]), deployed, new_stack)


def main() -> int:
    parser = argparse.ArgumentParser(description="Run the Pulumi program under the mock monitor")
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--config-json", help="extra config (JSON object of namespaced keys)")
    parser.add_argument("--out", required=True, help="where to write the registrations (JSON)")
    parser.add_argument("--project-dir", type=Path, default=REPO_ROOT, help="the Pulumi project to run")
    parser.add_argument(
        "--mode",
        choices=("preview", "up"),
        default="preview",
        help="preview (outputs the provider cannot know yet are unknown) or up (an update: versions are numbered)",
    )
    parser.add_argument(
        "--state",
        type=Path,
        help="what AWS holds from earlier runs (offline/deployed.py); an `up` writes it back. Default: nothing "
        "deployed yet",
    )
    parser.add_argument(
        "--new-stack",
        action="store_true",
        help="preview a stack that does not exist yet: outputs AWS computes are unknown, as in a real preview",
    )
    args = parser.parse_args()
    project_dir = args.project_dir.resolve()
    config = stack_config(project_dir, args.stack)
    if args.config_json:
        config.update(json.loads(args.config_json))
    deployed = Deployed.read(args.state) if args.state else Deployed()
    registrations, outputs = run_program(
        project_dir, args.stack, config, args.mode == "preview", deployed, new_stack=args.new_stack
    )
    if args.state and args.mode == "up":
        deployed.write(args.state)
    Path(args.out).write_text(
        json.dumps({"registrations": [asdict(r) for r in registrations], "outputs": outputs}, indent=1)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
