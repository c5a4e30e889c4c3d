"""benchlib: what tools/bench and tools/demo-tlb share.

Parsing the portable programs' machine lines (docs: the @meta/@data format in
user/portable/*.c), the statistics over their runs, the facts about the
machine and the emulator that every results.json carries, and the way the
kernels and the Linux peer are booted. Host-side Python: floating point is
fine here (the programs themselves report integers).

    @meta PROG backend=hw|sip|posix tsc_hz=N
    @data PROG KEY ops=N tsc_hz=N x100=V1,V2,...,VR

Vi is run i's cost of ONE operation in hundredths of a TSC cycle.
"""
import datetime
import importlib.machinery
import importlib.util
import os
import platform
import re
import statistics
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

META_RE = re.compile(r"^@meta ([a-z0-9_]+) backend=(hw|sip|posix) tsc_hz=(\d+)\s*$")
DATA_RE = re.compile(r"^@data ([a-z0-9_]+) ([a-z0-9_.]+) ops=(\d+) tsc_hz=(\d+) "
                     r"x100=(\d+(?:,\d+)*)\s*$")

# How the sip shell reports a command that failed ("[ID] exit N", "[ID] killed").
SHELL_END_RE = re.compile(r"^\[\d+\] (?:exit \d+|killed)")

TCG_NOTE = ("Under QEMU's TCG the guest's rdtsc follows host time, so these cycles are the "
            "emulator's (host-clock ticks of an emulated CPU), not hardware cycles of the "
            "code measured: compare ratios measured in the same run, not absolute figures, "
            "and not with published hardware cycles.")
KVM_NOTE = ("Under KVM the guest runs on the host CPU and rdtsc counts its cycles, with "
            "virtualisation overheads on exits (system calls stay in the guest).")


# ---------------------------------------------------------------- parsing

def parse_output(text):
    """The machine lines of one transcript: {"meta": {prog: {backend, tsc_hz}},
    "data": {(prog, key): {ops, tsc_hz, x100: [..]}}, "bad": [lines that start with
    @meta/@data but do not parse], "duplicates": [(prog, key) seen twice]}.
    Anything else (human rows, shell echo, kernel messages) is ignored."""
    out = {"meta": {}, "data": {}, "bad": [], "duplicates": []}
    for line in text.replace("\r", "").splitlines():
        if not line.startswith(("@meta", "@data")):
            continue
        m = META_RE.match(line)
        if m:
            out["meta"].setdefault(m[1], {"backend": m[2], "tsc_hz": int(m[3])})
            continue
        m = DATA_RE.match(line)
        if not m:
            out["bad"].append(line)
            continue
        key = (m[1], m[2])
        if key in out["data"]:
            out["duplicates"].append(key)       # the first run of a program counts
            continue
        out["data"][key] = {"ops": int(m[3]), "tsc_hz": int(m[4]),
                            "x100": [int(v) for v in m[5].split(",")]}
    return out


def section(text, command, commands):
    """The lines a shell printed for `command` (one of `commands`, run in order):
    from the line that echoes it to the line that echoes the next one."""
    lines = text.replace("\r", "").splitlines()
    start = next((i for i, l in enumerate(lines) if l.rstrip().endswith(command)), None)
    if start is None:
        return []
    later = commands[commands.index(command) + 1:]
    for i in range(start + 1, len(lines)):
        if any(lines[i].rstrip().endswith(c) for c in later):
            return lines[start + 1:i]
    return lines[start + 1:]


def judge_program(parsed, prog, expected, lines, runs=None):
    """Did PROG deliver? expected: row keys it must print (a key ending in '*' is a
    prefix: at least one such row). Returns {ok, problems[], messages[]}: messages are
    the program's own last non-machine lines, where its error would be."""
    problems = []
    if prog not in parsed["meta"]:
        problems.append("no @meta line")
    keys = [k for (p, k) in parsed["data"] if p == prog]
    for want in expected:
        if want.endswith("*"):
            if not any(k.startswith(want[:-1]) for k in keys):
                problems.append(f"no {want} rows")
        elif want not in keys:
            problems.append(f"no @data line for {want}")
    for k in keys:
        got = len(parsed["data"][(prog, k)]["x100"])
        if runs is not None and got != runs:
            problems.append(f"{k}: {got} runs, expected {runs}")
    problems += [f"unparsable line: {l[:80]}" for l in parsed["bad"] if l.split()[1:2] == [prog]]
    problems += [f"the shell says: {l.strip()}" for l in lines if SHELL_END_RE.match(l)]
    own = [l for l in lines if l.strip() and not l.startswith("@")]
    return {"ok": not problems, "problems": problems, "messages": own[-4:] if problems else []}


# ---------------------------------------------------------------- statistics

def row_stats(data):
    """One system's cell of a row from its @data line: cycles per operation as the
    median (with an even number of runs, the mean of the middle two: the programs'
    human rows show the upper one), fastest and slowest of the runs, and the median in
    ns from the tsc_hz the program measured."""
    runs = [v / 100 for v in data["x100"]]
    med = statistics.median(runs)
    hz = data["tsc_hz"]
    return {"median": med, "min": min(runs), "max": max(runs), "runs": runs,
            "ops": data["ops"], "tsc_hz": hz,
            "median_ns": med * 1e9 / hz if hz else None}


def ratio(a, b):
    """a/b of two cells' medians, or None when either is missing."""
    if not a or not b or "median" not in a or "median" not in b or not b["median"]:
        return None
    return a["median"] / b["median"]


# ---------------------------------------------------------------- facts

def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def git_facts():
    def git(*args):
        p = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return p.stdout.strip() if p.returncode == 0 else None
    rev = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"revision": rev or "unknown", "dirty": bool(status) if status is not None else None}


def machine_facts():
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(),
            "kernel": f"{platform.system()} {platform.release()}"}


def qemu_facts(accel, memory=256, smp=1):
    """How the systems were run: osrun's QEMU settings (tools/osrun qemu_command)."""
    try:
        p = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True, text=True)
        version = p.stdout.splitlines()[0].strip() if p.stdout else "unknown"
    except OSError:
        version = "qemu-system-x86_64 not found"
    emulator = "bochs" if accel == "bochs" else "qemu"
    cpu = "host" if accel == "kvm" else "max"
    return {"emulator": emulator, "version": version, "accel": accel,
            "cpu": cpu if emulator == "qemu" else None, "memory_mb": memory, "smp": smp}


def emulation_facts(accel):
    """The plain flag and the sentence every report carries."""
    emulated = accel != "kvm"
    note = KVM_NOTE if not emulated else TCG_NOTE if accel == "tcg" else TCG_NOTE.replace(
        "QEMU's TCG", "Bochs")
    return {"emulated": emulated, "emulation_note": note}


# ---------------------------------------------------------------- running

def load_tool(name):
    """tools/NAME (no .py suffix) as a module, as tools/bench-hw loads osrun."""
    path = ROOT / "tools" / name
    if not path.exists():
        return None
    loader = importlib.machinery.SourceFileLoader(name.replace("-", "_"), str(path))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def build_dir():
    path = Path(os.environ.get("BUILD") or "build")
    return path if path.is_absolute() else ROOT / path


def boot_kernel(osrun, variant, commands, accel, timeout, cmdline="", log=None, initrd=None):
    """One boot of our kernel running `commands` at its shell: (transcript, why) where
    why is None when it powered off cleanly, else what went wrong, in words. initrd:
    another initrd than the build's (tools/figure5's re-sealed one)."""
    try:
        res = osrun.run(variant, cmdline=cmdline, lines=commands, timeout=timeout,
                        accel=accel, initrd=initrd, build=str(build_dir()), log=log)
    except osrun.RunnerError as e:
        return "", f"osrun: {e}"
    why = None
    if res.status != osrun.EXIT_OK:
        notes = "; ".join(res.notes) if res.notes else ""
        why = f"osrun exit {res.status}" + (f" ({notes})" if notes else "")
    return res.transcript, why
