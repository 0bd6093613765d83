"""A stand-in function: a tiny Python bootstrap that speaks the Lambda Runtime API (next, response)
and answers every invocation with one fixed JSON body, for aws-lambda-rie (harness/emulator.py).

It stands in for a function binary where a test is about what Lambda does around the function
(which version an alias routes to, the metrics an invocation publishes, versions, provisioned
concurrency, Managed Instances states), so those tests need no Rust build and start in a fraction
of a second. It still runs under AWS's Runtime Interface Emulator, so each invocation takes the
path a real function's does.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# Runs as the function's process: reads AWS_LAMBDA_RUNTIME_API as every runtime does.
BOOTSTRAP = """\
import json, os, urllib.request

API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
ANSWER = json.dumps(ANSWER_VALUE).encode()
while True:
    with urllib.request.urlopen(API + "next") as request:
        request_id = request.headers["Lambda-Runtime-Aws-Request-Id"]
        request.read()
    urllib.request.urlopen(urllib.request.Request(API + request_id + "/response", data=ANSWER, method="POST")).read()
"""


def stand_in_command(directory: Path, answer: Mapping[str, Any]) -> list[str]:
    """Writes the bootstrap answering `answer` into `directory`; returns the command that runs it."""
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "bootstrap.py"
    script.write_text(BOOTSTRAP.replace("ANSWER_VALUE", repr(json.loads(json.dumps(answer)))))
    return [sys.executable, "-S", str(script)]
