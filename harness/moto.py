"""A moto server on 127.0.0.1 serving S3, SQS, DynamoDB and Secrets Manager over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3

from harness.processes import free_port, port_open, stop, wait_until

REGION = "us-east-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


class MotoServer:
    def __init__(self, log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log_path.open("wb")
        server = Path(sys.executable).parent / "moto_server"
        self.process = subprocess.Popen(
            [str(server), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **CREDENTIALS},
        )
        wait_until(lambda: port_open(self.port), 30, f"moto_server on port {self.port}")

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def function_env(self) -> dict[str, str]:
        """What a function process needs to reach this server instead of AWS."""
        return {"AWS_ENDPOINT_URL": self.url, "AWS_REGION": REGION, **CREDENTIALS}

    def close(self) -> None:
        stop(self.process)
        self._log.close()
