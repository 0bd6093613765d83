"""What the Python language host executes to run a program: the contract of the Pulumi CLI's
`pulumi-language-python-exec` shim (which ships with the CLI, not with the SDK, so it is not here).

The language host runs `<venv>/bin/python <this file> --monitor A --engine B --project P
--root_directory R --stack S --pwd D --dry_run true|false --parallel N --organization O PROGRAM`, with
the program's config as JSON in PULUMI_CONFIG (and its secret keys in PULUMI_CONFIG_SECRET_KEYS) and
the venv activated (VIRTUAL_ENV, its bin first on PATH). Like the shim, this reads the config from
the environment, configures the SDK's runtime with those settings, changes to `--pwd`, and runs
PROGRAM (the program directory, ".") with runpy inside the root stack, exiting 0 on success and 32
after an error the user has been shown. It omits the shim's debugger and tracing support and its
special message for a program directory without __main__.py.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import runpy
import sys
import traceback

import pulumi
import pulumi.runtime

ERROR_SHOWN = 32


def main() -> int:
    parser = argparse.ArgumentParser()
    for option in ("project", "root_directory", "stack", "parallel", "dry_run", "pwd", "monitor", "engine",
                   "tracing", "organization"):  # fmt: skip
        parser.add_argument(f"--{option}")
    parser.add_argument("PROGRAM")
    parser.add_argument("ARGS", nargs="*")
    args = parser.parse_args()
    pulumi.runtime.set_all_config(pulumi.runtime.get_config_env(), pulumi.runtime.get_config_secret_keys_env())
    settings = pulumi.runtime.Settings(
        monitor=args.monitor,
        engine=args.engine,
        project=args.project,
        stack=args.stack,
        parallel=int(args.parallel),
        dry_run=args.dry_run == "true",
        organization=args.organization,
        root_directory=args.root_directory,
    )
    pulumi.runtime.configure(settings)
    sys.argv = [args.PROGRAM, *args.ARGS]
    if args.pwd is not None:
        os.chdir(args.pwd)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def program() -> None:
        runpy.run_path(args.PROGRAM, run_name="__main__")

    try:
        loop.run_until_complete(pulumi.runtime.run_in_stack(program))
    except pulumi.RunError as error:
        pulumi.log.error(str(error))
        return 1
    except Exception:
        pulumi.log.error("Program failed with an unhandled exception:\n" + traceback.format_exc())
        return ERROR_SHOWN
    finally:
        loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
