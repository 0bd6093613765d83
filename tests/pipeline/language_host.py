"""What the Pulumi CLI's Python language host (pulumi-language-python) does before and when it starts
the program and the policy pack, for the `pip` toolchain, read from its source (toolchain/pip.go,
toolchain.go, cmd/pulumi-language-python/main.go):

- the venv is Pulumi.yaml's (PulumiPolicy.yaml's) `virtualenv` option joined to the project (pack)
  directory; it counts as a venv when `<venv>/bin/python` is a file;
- every command runs with the venv activated: its bin directory first on PATH, VIRTUAL_ENV set to
  it, PYTHONHOME removed (`ActivateVirtualEnv`);
- dependency discovery (GetRequiredPackages, before every preview and update): `python --version`,
  `python -m pip list --format json`, then for each listed package the pulumi-plugin.json inside its
  module; a package with one whose `resource` is true, or named `pulumi-*` (except pulumi-policy and
  pulumi-esc-sdk), is a provider plugin the engine must have, at the plugin file's name and version or
  else the package's;
- the program: `python <exec shim> --monitor .. --engine .. --project .. --root_directory ..
  --stack .. --pwd .. --dry_run .. --parallel .. --organization .. .` with PULUMI_CONFIG (program_exec.py);
- the policy pack (RunPlugin, kind analyzer): `python -c "import pulumi.run.plugin"`, then
  `python -u -m pulumi.policy <engine address> <pack directory>` in the pack directory, with
  PULUMI_PROJECT, PULUMI_STACK, PULUMI_DRY_RUN and PULUMI_CONFIG set (offline/analyzer.py speaks to it).

`python -m tests.pipeline.language_host --stack dev --out result.json` plays the engine for one
program run: a resource monitor (offline.engine's mock monitor, over gRPC) and an engine service on
127.0.0.1, the program started as above, its registrations and the engine's log written to `out`.
The mock monitor omits what the real engine adds (the provider's Check and Diff, the state).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Mapping
from concurrent import futures
from dataclasses import asdict
from pathlib import Path
from typing import Any

import grpc
import yaml
from google.protobuf import empty_pb2
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, resource_pb2, resource_pb2_grpc

from offline.engine import REPO_ROOT, ProgramMocks, RecordingMonitor, project_file, stack_config, world_of

EXEC_SHIM = Path(__file__).with_name("program_exec.py")
# Packages the language host knows to have no plugin (main.go, packagesWithoutPlugins).
WITHOUT_PLUGINS = frozenset({"pulumi-policy", "pulumi-esc-sdk"})


def runtime_options(project_file_path: Path) -> dict[str, Any]:
    """The `runtime.options` of a Pulumi.yaml or PulumiPolicy.yaml."""
    loaded = yaml.safe_load(project_file_path.read_text())
    options: dict[str, Any] = loaded["runtime"]["options"]
    return options


def venv_of(project_file_path: Path) -> Path:
    """The venv the language host uses for the pip toolchain: `virtualenv` joined to the file's directory."""
    return project_file_path.parent / str(runtime_options(project_file_path)["virtualenv"])


def activated(environ: Mapping[str, str], venv: Path) -> dict[str, str]:
    """The environment with the venv activated, as ActivateVirtualEnv makes it."""
    env = {k: v for k, v in environ.items() if k.upper() not in ("PYTHONHOME", "VIRTUAL_ENV", "PATH")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{environ.get('PATH', '')}" if environ.get("PATH") else str(venv / "bin")
    env["VIRTUAL_ENV"] = str(venv)
    return env


def normalized(name: str) -> str:
    """A package name in PEP 503 form, as the language host compares them."""
    return re.sub(r"[-_.]+", "-", name.lower())


# Run by the venv's python: where each package's pulumi-plugin.json is (written for this test after
# the language host's own script: distribution -> module -> its search locations).
PLUGIN_JSON_PATHS = """
import importlib.metadata, importlib.util, json, os, sys
found = {}
for name in sys.argv[1:]:
    try:
        module = importlib.metadata.distribution(name).metadata["Name"].replace("-", "_")
        spec = importlib.util.find_spec(module)
        places = list(spec.submodule_search_locations or []) if spec else []
        files = [os.path.join(p, "pulumi-plugin.json") for p in places]
        found[name] = next((f for f in files if os.path.isfile(f)), "")
    except Exception:
        found[name] = ""
print(json.dumps(found))
"""


def required_plugins(venv: Path, cwd: Path) -> dict[str, str]:
    """Dependency discovery as GetRequiredPackages runs it: each provider plugin's name and version.
    Raises CalledProcessError where the language host would fail ("failed to discover package
    requirements")."""
    python, env = str(venv / "bin" / "python"), activated(os.environ, venv)
    run = {"cwd": cwd, "env": env, "capture_output": True, "text": True, "check": True, "timeout": 120}
    subprocess.run([python, "--version"], **run)  # type: ignore[call-overload]
    listed = json.loads(subprocess.run([python, "-m", "pip", "list", "--format", "json"], **run).stdout)  # type: ignore[call-overload]
    names = [normalized(p["name"]) for p in listed]
    versions = {normalized(p["name"]): p["version"] for p in listed}
    paths = json.loads(subprocess.run([python, "-c", PLUGIN_JSON_PATHS, *names], **run).stdout)  # type: ignore[call-overload]
    plugins: dict[str, str] = {}
    for name in names:
        if name in WITHOUT_PLUGINS:
            continue
        plugin = json.loads(Path(paths[name]).read_text()) if paths.get(name) else None
        if plugin is None and not name.startswith("pulumi-"):
            continue
        if plugin is not None and not plugin.get("resource"):
            continue
        plugin_name = (plugin or {}).get("name") or name.removeprefix("pulumi-")
        plugins[plugin_name] = "v" + ((plugin or {}).get("version") or versions[name])
    return plugins


class _Monitor(resource_pb2_grpc.ResourceMonitorServicer):
    """offline.engine's recording mock monitor behind the ResourceMonitor gRPC service."""

    def __init__(self, recording: RecordingMonitor, project: str, stack: str) -> None:
        self.recording, self.project, self.stack = recording, project, stack
        # The mock monitor names resources after the in-process settings; here they are the program's.
        recording.make_urn = self._urn  # type: ignore[method-assign]

    def _urn(self, parent: str, type_: str, name: str) -> str:
        if parent:
            type_ = parent.split("::")[2].split("$").pop() + "$" + type_
        return "urn:pulumi:" + "::".join([self.stack, self.project, type_, name])

    def SupportsFeature(self, request: Any, context: Any) -> Any:
        return resource_pb2.SupportsFeatureResponse(hasSupport=request.id != "outputValues")

    def RegisterResource(self, request: Any, context: Any) -> Any:
        return self.recording.RegisterResource(request)

    def RegisterResourceOutputs(self, request: Any, context: Any) -> Any:
        return self.recording.RegisterResourceOutputs(request)

    def Invoke(self, request: Any, context: Any) -> Any:
        return self.recording.Invoke(request)  # type: ignore[no-untyped-call]

    def ReadResource(self, request: Any, context: Any) -> Any:
        return self.recording.ReadResource(request)  # type: ignore[no-untyped-call]

    def RegisterPackage(self, request: Any, context: Any) -> Any:
        return self.recording.RegisterPackage(request)  # type: ignore[no-untyped-call]

    def RegisterStackTransform(self, request: Any, context: Any) -> Any:
        return empty_pb2.Empty()

    def SignalAndWaitForShutdown(self, request: Any, context: Any) -> Any:
        return empty_pb2.Empty()


class _Engine(engine_pb2_grpc.EngineServicer):
    def __init__(self) -> None:
        self.logs: list[str] = []
        self.root = ""

    def Log(self, request: Any, context: Any) -> Any:
        self.logs.append(f"{engine_pb2.LogSeverity.Name(request.severity)}: {request.message}")
        return empty_pb2.Empty()

    def GetRootResource(self, request: Any, context: Any) -> Any:
        return engine_pb2.GetRootResourceResponse(urn=self.root)

    def SetRootResource(self, request: Any, context: Any) -> Any:
        self.root = request.urn
        return engine_pb2.SetRootResourceResponse()


def run_as_language_host(project_dir: Path, stack: str, dry_run: bool, timeout: float) -> dict[str, Any]:
    """One run of the project's program started as the language host starts it."""
    config = stack_config(project_dir, stack)
    project = str(project_file(project_dir)["name"])
    recording = RecordingMonitor(ProgramMocks(world_of(config)))
    monitor, engine = _Monitor(recording, project, stack), _Engine()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    resource_pb2_grpc.add_ResourceMonitorServicer_to_server(monitor, server)
    engine_pb2_grpc.add_EngineServicer_to_server(engine, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    venv = venv_of(project_dir / "Pulumi.yaml")
    address = f"127.0.0.1:{port}"
    command = [
        str(venv / "bin" / "python"), str(EXEC_SHIM), "--monitor", address, "--engine", address,
        "--project", project, "--root_directory", str(project_dir), "--stack", stack, "--pwd", str(project_dir),
        "--dry_run", "true" if dry_run else "false", "--parallel", "4", "--organization", "organization", ".",
    ]  # fmt: skip
    # The CLI hands every value over as text (structured ones as JSON).
    wire = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
    env = {**activated(os.environ, venv), "PULUMI_CONFIG": json.dumps(wire), "PULUMI_CONFIG_SECRET_KEYS": "[]"}
    # A session of its own, so that a run past the timeout ends with everything it started.
    process = subprocess.Popen(
        command, cwd=project_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        _, stderr = process.communicate()
        stderr += f"\n(killed after {timeout:.0f}s)"
    finally:
        server.stop(grace=None)
    return {
        "command": command,
        "exit_code": process.returncode,
        "stderr": stderr[-8000:],
        "logs": engine.logs,
        "registrations": [asdict(r) for r in recording.registrations],
        "outputs": recording.stack_outputs,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="Run the program as the Python language host starts it.")
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--project-dir", type=Path, default=REPO_ROOT)
    parser.add_argument("--update", action="store_true", help="dry_run false (an update), else a preview")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    result = run_as_language_host(args.project_dir.resolve(), args.stack, not args.update, args.timeout)
    args.out.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
