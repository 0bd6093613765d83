"""ExtensionLayer: one extension of the workspace, published as a Lambda layer version.

The layer zip holds the extension as `extensions/<name>` (scripts/build-functions), which Lambda
unpacks under /opt and starts before the function's runtime. The layer declares what it runs on,
arm64 and provided.al2023, the only platform the stack's functions use, so Lambda refuses to attach
it to anything else. A new version is published only when the zip's bytes change (the zips are
reproducible): the functions' `layers` then name the new version, which publishes a new version of
each function that the release step moves its alias to.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.build import LayerArtifact
from components.function import ARCHITECTURE, RUNTIME

# The workspace's telemetry extension (functions/telemetry-extension), attached by the stack's
# `telemetryExtension` setting.
TELEMETRY_EXTENSION = "telemetry-extension"


@dataclass(frozen=True)
class ExtensionLayerArgs:
    # The stack's prefix: the layer is named `<prefix>-<component name>` (rustlambda-dev-telemetry-extension).
    name_prefix: str
    artifact: LayerArtifact


class ExtensionLayer(pulumi.ComponentResource):
    layer: aws.lambda_.LayerVersion
    # The layer version's ARN, what a function's `layers` lists.
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: ExtensionLayerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:ExtensionLayer", name, None, opts)
        self.layer = aws.lambda_.LayerVersion(
            f"{name}-layer",
            layer_name=f"{args.name_prefix}-{name}",
            description=args.artifact.description,
            code=args.artifact.archive(),
            compatible_architectures=[ARCHITECTURE],
            compatible_runtimes=[RUNTIME],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = self.layer.arn
        self.register_outputs({"arn": self.arn})
