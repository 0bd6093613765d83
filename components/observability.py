"""Observability: what the stack shows about its functions, once they exist: the CloudWatch
dashboard (components/dashboard.py) and the saved Logs Insights queries (components/queries.py)
over every function's log group. The telemetry extension's layer, which the functions need first,
is created before them (components/layer.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from components.dashboard import StackDashboard, StackDashboardArgs
from components.queries import SavedQueries, SavedQueriesArgs
from components.service import LambdaService


@dataclass(frozen=True)
class ObservabilityArgs:
    # The stack's prefix (rustlambda-dev): the dashboard's name and the queries' folder.
    name_prefix: str
    region: pulumi.Input[str]
    services: Sequence[LambdaService]


class Observability(pulumi.ComponentResource):
    dashboard: StackDashboard
    queries: SavedQueries

    def __init__(self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("rustlambda:index:Observability", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        panels = [service.panel for service in args.services]
        log_groups = [service.function.log_group.name for service in args.services]
        self.dashboard = StackDashboard(
            f"{name}-dashboard", StackDashboardArgs(args.name_prefix, args.region, panels), child
        )
        self.queries = SavedQueries(f"{name}-queries", SavedQueriesArgs(args.name_prefix, log_groups), child)
        self.register_outputs({"dashboard_name": self.dashboard.dashboard.dashboard_name})
