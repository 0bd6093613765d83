"""Stand-in for scripts/build-functions in a project copy (`copies.copy_with_recorded_build`).

It appends the arguments the program passed to `build-requests.txt` in the copy, then answers as
the build does, with the repository's own build (default features, built by the `dev` plan): its
zips copied into the copy's build/lambda and its manifest labelled with the features asked for.
What the tests check with it is the program's request and what the plan attaches for it; the builds
with the features themselves run natively in tests/e2e/test_open_telemetry.py and in bench.otel.

Usage: recorded_build.py <repository> [build-functions arguments...]
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

COPY = Path(__file__).resolve().parents[2]
REQUESTS = "build-requests.txt"


def main(argv: list[str]) -> int:
    repository, arguments = Path(argv[0]), argv[1:]
    with (COPY / REQUESTS).open("a") as requests:
        requests.write(" ".join(arguments) + "\n")
    features = arguments[arguments.index("--features") + 1].split(",") if "--features" in arguments else []
    shutil.copytree(repository / "build" / "lambda", COPY / "build" / "lambda", dirs_exist_ok=True)
    manifest_path = COPY / "build" / "lambda" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps({**manifest, "features": features}, indent=2, sort_keys=True) + "\n")
    print(json.dumps({"manifest": "build/lambda/manifest.json"}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
