"""Peak memory of a function process, from /proc."""

from __future__ import annotations

from pathlib import Path

from harness.emulator import Emulator


def function_pid(emulator: Emulator) -> int:
    """The bootstrap's process: the emulator's child."""
    children = Path(f"/proc/{emulator.process.pid}/task/{emulator.process.pid}/children").read_text().split()
    if children:
        return int(children[0])
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == emulator.process.pid:
            return int(stat.parent.name)
    raise RuntimeError("the emulator has no child process")


def vm_hwm_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmHWM for pid {pid}")


def peak_rss_kib(emulator: Emulator) -> int:
    """The peak RSS (VmHWM) of the function process running under `emulator`, so far."""
    return vm_hwm_kib(function_pid(emulator))
