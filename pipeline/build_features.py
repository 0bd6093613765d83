"""The cargo features of the one build that every stack deploys.

Build once, promote by digest: the deploy workflow builds once and deploys the same zips to dev,
then prod. A stack's OpenTelemetry exporter picks a cargo feature for the whole workspace
(model/stack_config.py), so the stacks must ask for the same features, else there is no one build to
promote. The build job runs `python -m pipeline.build_features dev prod` and passes what it prints
to `scripts/build-functions --features`; stacks that disagree fail the job, naming each stack's
features.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from model import stack_config
from model.contract import ContractError, load_contracts
from offline.cost import OfflineConfig
from offline.engine import REPO_ROOT, project_file
from offline.engine import stack_config as stack_file_config


class FeaturesDiffer(ValueError):
    """The stacks ask for different builds."""


def stack_features(project_dir: Path, stack: str) -> tuple[str, ...]:
    """The cargo features the stack's config asks for, as the program computes them."""
    project = str(project_file(project_dir)["name"])
    contracts = load_contracts(project_dir / "functions")
    values = stack_file_config(project_dir, stack)
    config = OfflineConfig(values, project)
    region = str(values.get("aws:region", ""))
    return stack_config.load(config, contracts, project, stack, region).open_telemetry.cargo_features


def one_build(project_dir: Path, stacks: list[str]) -> tuple[str, ...]:
    """The features every stack asks for; raises FeaturesDiffer when they differ."""
    by_stack = {stack: stack_features(project_dir, stack) for stack in stacks}
    if len(set(by_stack.values())) > 1:
        listed = ", ".join(f"{stack}: [{', '.join(f) or 'none'}]" for stack, f in by_stack.items())
        raise FeaturesDiffer(
            f"the stacks ask for different cargo features ({listed}), so no one build can be promoted "
            "from one to the next: set the same openTelemetry exporter on every stack"
        )
    return next(iter(by_stack.values()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("stacks", nargs="+", help="the stacks the build is promoted through, e.g. dev prod")
    parser.add_argument("--project-dir", type=Path, default=REPO_ROOT)
    args = parser.parse_args(argv)
    try:
        features = one_build(args.project_dir.resolve(), args.stacks)
    except (FeaturesDiffer, stack_config.ConfigError, ContractError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(",".join(features))
    return 0


if __name__ == "__main__":
    sys.exit(main())
