"""The offline preview: the README's main job. No cloud credentials, no Pulumi CLI.

1. Runs the real program for a stack under Pulumi's mock monitor (offline.engine); the program's
   build invoke compiles every function for arm64 (with progress) unless the sources are unchanged.
2. Sends every resource to the real policy pack, started as the Pulumi engine starts it and spoken
   to over the Analyzer gRPC protocol: Analyze per resource and one AnalyzeStack.
3. Prints the plan (type, name, key properties), the policy report and the monthly cost estimate
   per function (offline.cost: standard Lambda vs Managed Instances); `--json` writes all three.
   The pack sees Pulumi's secret markers (a value marked secret in a function's env vars is one of
   its mandatory violations), so the preview adds no checks of its own.

Exit code 1 when any mandatory policy is violated.

    python -m offline.preview --stack dev [--json plan.json] [--from-cloudwatch DAYS]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from model.cost import CostInputError
from model.stack_config import ConfigError
from offline import cost, plan
from offline.analyzer import Diagnostic, PolicyPackClient, registrations_to_resources
from offline.cloudwatch import CloudWatchError
from offline.deployed import Deployed
from offline.engine import REPO_ROOT, run_program, stack_config, with_archive_digests

LIMITS = """What an offline preview cannot see:
  - values only AWS knows (ARNs, ids, URLs above are the mock engine's stand-ins);
  - provider defaults and the provider's own input checks (the engine's Check step);
  - the diff against the resources that exist: every resource shows as created.
For those, run with the Pulumi CLI and credentials: pulumi preview --diff --policy-pack policies"""


def log(message: str) -> None:
    print(f"[preview] {message}", file=sys.stderr, flush=True)


def analyze(registrations: list[dict[str, Any]], project_dir: Path) -> list[Diagnostic]:
    """Analyze per resource and one AnalyzeStack; the pack runs in the project directory, as the
    engine runs it, so it can read the function archives. A resource policy's diagnostic names no
    resource on the wire (the engine knows which resource it analyzed): it gets that resource's URN."""
    diagnostics: list[Diagnostic] = []
    with PolicyPackClient(project_dir / "policies", cwd=project_dir) as pack:
        pack.configure({})
        for r in registrations:
            if r["custom"]:
                found = pack.analyze(r["type"], r["name"], r["urn"], r["inputs"])
                diagnostics += [d if d.urn else replace(d, urn=r["urn"]) for d in found]
        diagnostics += pack.analyze_stack(registrations_to_resources(registrations))
    return diagnostics


# The advisory the pack reports for a check it could not run because a value is unknown at preview.
NOT_JUDGED = "can't run policy"


def format_report(diagnostics: list[Diagnostic]) -> str:
    """Each diagnostic with its resource's name, then how many checks a preview could not judge."""
    if not diagnostics:
        return "Policy report: no violations."
    lines = ["Policy report:"]
    for d in sorted(diagnostics, key=lambda d: (d.enforcement_level, d.policy_name, d.urn)):
        resource = d.urn.split("::")[-1] if d.urn else "(stack)"
        lines.append(f"  [{d.enforcement_level}] {d.policy_name}: {resource}: {d.violation}")
    unjudged = [d for d in diagnostics if NOT_JUDGED in d.violation]
    if unjudged:
        lines.append(f"  {len(unjudged)} checks could not be judged at preview (values unknown until update).")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description="Offline preview: program under mocks + policy pack")
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--json", type=Path, help="write the plan and the report as JSON here")
    parser.add_argument("--project-dir", type=Path, default=REPO_ROOT)
    parser.add_argument(
        "--state",
        type=Path,
        help="what AWS holds from earlier runs (offline/deployed.py: versions, aliases); default: a stack that "
        "does not exist yet",
    )
    parser.add_argument(
        "--mode",
        choices=("preview", "up"),
        default="preview",
        help="preview (what the provider cannot know yet is unknown), or up: as an update registers it, "
        "writing --state back",
    )
    parser.add_argument(
        "--new-stack",
        action="store_true",
        help="preview as for a stack that does not exist yet: outputs AWS computes are unknown, as the real "
        "engine has them in a first preview (the policy report shows what such a preview judges)",
    )
    cost.add_cloudwatch_option(parser)
    args = parser.parse_args()
    project_dir = args.project_dir.resolve()

    started = time.monotonic()
    config = stack_config(project_dir, args.stack)
    log(f"running the program for stack {args.stack!r} under the mock engine (the build runs first)")
    deployed = Deployed.read(args.state) if args.state else Deployed()
    raw, outputs = run_program(
        project_dir, args.stack, config, args.mode == "preview", deployed, new_stack=args.new_stack
    )
    if args.state and args.mode == "up":
        deployed.write(args.state)
    registrations = [asdict(r) for r in raw]
    program_done = time.monotonic()
    log(f"program done in {program_done - started:.1f}s: {sum(r['custom'] for r in registrations)} resources")

    diagnostics = analyze(registrations, project_dir)
    log(f"policy pack done in {time.monotonic() - program_done:.1f}s")

    print(f"Plan for stack {args.stack} (offline):")
    print(plan.format_plan(plan.plan_lines(registrations)))
    print()
    print(format_report(diagnostics))
    print()
    costs: dict[str, Any]
    try:
        estimate = cost.stack_cost(registrations, outputs, config, project_dir, args.stack, args.from_cloudwatch)
        print(cost.format_text(estimate))
        costs = cost.to_json(estimate)
    except (CostInputError, ConfigError, CloudWatchError) as error:
        # The estimate informs; it does not fail the preview.
        print(f"Monthly cost estimate: not available: {error}")
        costs = {"error": str(error)}
    print()
    print(LIMITS)
    mandatory = [d for d in diagnostics if d.enforcement_level == "mandatory"]
    if args.json:
        resources = [
            {
                "urn": r["urn"],
                "type": r["type"],
                "name": r["name"],
                "inputs": with_archive_digests(r["inputs"], project_dir),
            }
            for r in registrations
            if r["custom"]
        ]
        report = {
            "stack": args.stack,
            "resources": resources,
            "outputs": outputs,
            "diagnostics": [asdict(d) for d in diagnostics],
            "cost": costs,
        }
        args.json.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
        log(f"wrote {args.json}")
    return 1 if mandatory else 0


if __name__ == "__main__":
    sys.exit(main())
