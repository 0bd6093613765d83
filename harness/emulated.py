"""Emulated time and CloudWatch for one test: the clock, the metric data and the alarms that the
Lambda emulator (harness/lambda_api.py) and the CodeDeploy emulator (harness/codedeploy.py) share."""

from __future__ import annotations

from dataclasses import dataclass

from harness.clock import VirtualClock
from harness.cloudwatch import AlarmEvaluator, LambdaMetrics, MetricStore
from harness.moto import MotoServer


@dataclass
class EmulatedCloud:
    clock: VirtualClock
    store: MetricStore
    metrics: LambdaMetrics  # give it to LambdaApi(metrics=...)
    alarms: AlarmEvaluator  # give it to CodeDeployLifecycle(..., alarms)

    @classmethod
    def on(cls, moto: MotoServer, clock: VirtualClock | None = None) -> EmulatedCloud:
        """A fresh store and alarm evaluator whose alarms live in `moto`'s CloudWatch API."""
        store = MetricStore()
        return cls(
            clock or VirtualClock(), store, LambdaMetrics(store), AlarmEvaluator(store, moto.client("cloudwatch"))
        )
