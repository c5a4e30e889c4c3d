"""pytest harness for Twofold: every boot goes through tools/osrun (as a subprocess, the
most honest test of the real command line), one emulator per call.

Run from the repository root:
    BUILD=build /usr/bin/python3 -m pytest -c grade/pytest.ini -n 2 grade
(-n 2 needs python3-pytest-xdist; leave it out to run serially.)

What this file adds to pytest:
  * the `osrun` fixture: osrun(variant, cmdline, lines, timeout, initrd, accel) -> Run
    (Run.code, alias Run.status: osrun's exit status; Run.transcript; Run.log)
  * the `variant` fixture: a test that takes it runs for hw and for sip
  * transcripts of failed tests kept under $BUILD/test-logs/<test-id>.log, path shown
    in the failure report; removed again when the test passes
  * a TIMEOUT outcome, counted apart from "failed" in the summary, still a failing run
  * one build at session start (on the xdist controller only, so workers never run two
    makes over one build tree); --no-build to skip it
"""

import fcntl
import importlib.machinery
import importlib.util
import json
import os
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OSRUN = ROOT / "tools" / "osrun"
VARIANTS = ("hw", "sip")

# osrun's exit statuses (docs/console-protocol.md).
EXIT_OK, EXIT_TEST_FAILED, EXIT_TIMEOUT, EXIT_PANIC, EXIT_RUNNER = 0, 1, 2, 3, 4

LOGS_KEY = pytest.StashKey[list]()


def load_tool(name, module_name):
    """tools/NAME (a python3 script without .py) imported as a module, for tests of its parts."""
    loader = importlib.machinery.SourceFileLoader(module_name, str(ROOT / "tools" / name))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(module_name, loader))
    loader.exec_module(module)
    return module


def build_dir():
    """$BUILD as make sees it: relative paths are relative to the repository root."""
    path = Path(os.environ.get("BUILD") or "build")
    return path if path.is_absolute() else ROOT / path


def make_spelling(build):
    """BUILD as `make test` spells it (relative when inside the tree): make and its
    dependency files tell build/x.o and /abs/build/x.o apart."""
    try:
        return str(build.relative_to(ROOT))
    except ValueError:
        return str(build)


@dataclass
class Run:
    code: int          # osrun's exit status
    transcript: str    # the kernel's serial output (\r removed)
    stderr: str        # osrun's own messages and emulator warnings
    log: Path          # where the transcript is kept if the test fails

    @property
    def status(self):
        """Same as code (docs/testing.md spells it r.status)."""
        return self.code

    def lines(self):
        return self.transcript.splitlines()


class OsrunTimeout(Exception):
    """osrun exited 2: reported as TIMEOUT, not as an ordinary failure."""


class OsrunRunnerError(Exception):
    """osrun exited 4: the host side broke (build, emulator), not the kernel."""


# ------------------------------------------------------------------ options, build

def pytest_addoption(parser):
    group = parser.getgroup("twofold")
    group.addoption("--accel", choices=("tcg", "kvm"), default=None,
                    help="force the QEMU accelerator (default: osrun's choice)")
    group.addoption("--timeout-scale", type=float, default=1.0,
                    help="multiply every boot's time limit (slow machines, --accel kvm on a host without vmx)")
    group.addoption("--no-build", action="store_true",
                    help="do not run make before the tests; use $BUILD as it is")


def is_xdist_worker(config):
    return hasattr(config, "workerinput")


def pytest_sessionstart(session):
    """Build once, here, so osrun can run with --no-build in every test."""
    config = session.config
    if config.getoption("--no-build") or is_xdist_worker(config):
        return
    if not (ROOT / "GNUmakefile").exists():
        return
    build = make_spelling(build_dir())
    build_dir().mkdir(parents=True, exist_ok=True)
    # The same lock tools/osrun takes around its make: one make per build tree at a time.
    with open(build_dir() / ".osrun-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = subprocess.run(["make", "-s", "all", f"BUILD={build}"], cwd=ROOT,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        pytest.exit(f"build failed (make -s all BUILD={build}):\n{proc.stdout}", returncode=4)


# ------------------------------------------------------------------ the fixture

def sanitise(nodeid):
    """A test id as a file name: test_boot.py::test_x[hw-a] -> test_boot.py__test_x_hw-a_"""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_")


def log_path_for(item):
    """$BUILD/test-logs/<id>.log, then <id>.2.log, ... for a test's further boots."""
    logs = item.stash.setdefault(LOGS_KEY, [])
    base = build_dir() / "test-logs" / sanitise(item.nodeid)
    path = base.with_name(base.name + (".log" if not logs else f".{len(logs) + 1}.log"))
    logs.append(path)
    return path


@pytest.fixture
def osrun(request):
    """Boot a kernel through tools/osrun and return a Run.  Raises OsrunTimeout on
    exit 2 and OsrunRunnerError on exit 4, since no test expects either."""
    config = request.config
    scale = config.getoption("--timeout-scale")

    def run(variant, cmdline="", lines=(), timeout=60, initrd=None, accel=None):
        log = log_path_for(request.node)
        log.parent.mkdir(parents=True, exist_ok=True)
        limit = timeout * scale
        cmd = [str(OSRUN), "--variant", variant, "--no-build", "--cmdline", cmdline,
               "--timeout", f"{limit:g}", "--log", str(log)]
        accel = accel or config.getoption("--accel")
        if accel:
            cmd += ["--accel", accel]
        if initrd:
            cmd += ["--initrd", str(initrd)]
        cmd += ["--", *lines]
        env = dict(os.environ, BUILD=str(build_dir()))
        try:
            # Our own guard on top of osrun's: osrun itself must never hang a test run.
            proc = subprocess.run(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, errors="replace", timeout=limit + 60)
        except subprocess.TimeoutExpired:
            raise OsrunTimeout(f"osrun itself did not return within {limit + 60:g} s; "
                               f"transcript so far: {log}")
        transcript = log.read_text(errors="replace") if log.exists() else proc.stdout
        result = Run(proc.returncode, transcript, proc.stderr, log)
        if result.code == EXIT_TIMEOUT:
            raise OsrunTimeout(f"{variant} {cmdline!r}: osrun: TIMEOUT after {limit:g} s; "
                               f"transcript: {log}")
        if result.code == EXIT_RUNNER:
            raise OsrunRunnerError(f"osrun runner error (exit 4):\n{proc.stderr}")
        return result

    return run


# ------------------------------------------------------------------ reporting

def tail(path, count=25):
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no transcript)"
    return "\n".join(lines[-count:])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Mark timeouts, and keep or drop the transcripts this test produced."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call":
        return
    if call.excinfo is not None and call.excinfo.errisinstance(OsrunTimeout):
        report.osrun_timeout = True
    logs = [p for p in item.stash.get(LOGS_KEY, []) if p.exists()]
    if report.failed:
        kept = "\n".join(f"transcript kept at {p}" for p in logs)
        if logs:
            kept += f"\n\nlast lines of {logs[-1].name}:\n{tail(logs[-1])}"
        report.sections.append(("osrun transcript", kept or "(no boot in this test)"))
    else:
        for path in logs:
            path.unlink()


def pytest_report_teststatus(report, config):
    """A timed-out test gets its own category: the summary says 'N timeout' apart from
    'failed'.  Its outcome stays 'failed', so pytest still exits non-zero."""
    if getattr(report, "osrun_timeout", False) and report.when == "call":
        return "timeout", "T", ("TIMEOUT", {"yellow": True})
    return None


def pytest_terminal_summary(terminalreporter):
    """pytest prints tracebacks only for the 'failed' category: show timeouts here."""
    reports = terminalreporter.stats.get("timeout", [])
    if not reports:
        return
    terminalreporter.write_sep("=", "TIMEOUTS", yellow=True)
    for report in reports:
        terminalreporter.write_sep("_", report.nodeid)
        crash = getattr(report.longrepr, "reprcrash", None)
        terminalreporter.write_line(crash.message if crash else report.longreprtext[-2000:])
        for title, content in report.sections:
            if title == "osrun transcript":
                terminalreporter.write_line(content)
    terminalreporter.write_sep("-", "timeouts")
    for report in reports:
        terminalreporter.write_line(f"TIMEOUT {report.nodeid}")


# ------------------------------------------------------------------ shared helpers

@pytest.fixture(params=VARIANTS)
def variant(request):
    """Run the test once per kernel: the behaviour it checks is shared."""
    return request.param


@pytest.fixture(scope="session")
def build():
    return build_dir()


def bochs_available():
    return shutil.which("bochs") is not None


# ------------------------------------------------------------------ one boot, many tests
# Boots are the expensive part: test_hw.py and test_sip.py share one boot per console script.

_local_run_id = uuid.uuid4().hex


def session_id(config):
    """The same string in every xdist worker of one run, and new for every run."""
    worker = getattr(config, "workerinput", None)
    return worker["testrunuid"] if worker else _local_run_id


def shared_boot(request, variant, key, lines, timeout, cmdline=""):
    """Boot `variant` once per session with this console script; every caller gets the same
    Run. The transcript stays at $BUILD/test-logs/shared-VARIANT-KEY.log (named in failures)."""
    logs = build_dir() / "test-logs"
    logs.mkdir(parents=True, exist_ok=True)
    log, meta = logs / f"shared-{variant}-{key}.log", logs / f"shared-{variant}-{key}.json"
    scale = request.config.getoption("--timeout-scale")
    with open(logs / f"shared-{variant}-{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = json.loads(meta.read_text()) if meta.exists() else {}
        if done.get("session") != session_id(request.config):
            done = run_osrun(request, variant, lines, timeout * scale, cmdline, log)
            done["session"] = session_id(request.config)
            meta.write_text(json.dumps(done))
    if done["code"] == EXIT_TIMEOUT:
        raise OsrunTimeout(f"{variant} {lines!r}: osrun: TIMEOUT after {timeout * scale:g} s; transcript: {log}")
    if done["code"] == EXIT_RUNNER:
        raise OsrunRunnerError(f"osrun runner error (exit 4):\n{done['stderr']}")
    return Run(done["code"], log.read_text(errors="replace") if log.exists() else "", done["stderr"], log)


def run_osrun(request, variant, lines, limit, cmdline, log):
    cmd = [str(OSRUN), "--variant", variant, "--no-build", "--cmdline", cmdline,
           "--timeout", f"{limit:g}", "--log", str(log)]
    accel = request.config.getoption("--accel")
    if accel:
        cmd += ["--accel", accel]
    env = {**os.environ, "BUILD": str(build_dir())}
    try:
        proc = subprocess.run(cmd + ["--", *lines], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              errors="replace", timeout=limit + 60)
    except subprocess.TimeoutExpired:
        return {"code": EXIT_TIMEOUT, "stderr": "osrun itself did not return"}
    return {"code": proc.returncode, "stderr": proc.stderr}
