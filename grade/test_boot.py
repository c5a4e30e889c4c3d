"""Boot tests shared by both kernels: banner, monitor prompt, in-kernel tests, the
deliberate fault, the initrd (good and malformed), Bochs; and the hw kernel booting into
init and its shell.  What the kernel prints is specified in docs/console-protocol.md;
these tests read nothing else.  A test that takes the `variant` fixture (conftest.py)
runs once per kernel.  The hw kernel boots /bin/init unless its command line has the
word `monitor`: the monitor tests pass it (monitor_cmdline)."""

import re
import shutil

import pytest

from conftest import EXIT_OK, EXIT_PANIC, EXIT_TEST_FAILED, bochs_available

# Every in-kernel test, by name: those of the shared core (in both kernels) and those
# of each variant's own code.  test_ktest_list_matches_this_file fails when a kernel
# gains (or loses) a ktest that these lists do not name: add it here, and it gets its
# own test_ktest_alone run.
SHARED_KTESTS = ["frame", "heap", "vm", "vm_pge", "thread", "preempt", "waitq", "timer", "sleep",
                 "fpu", "fpu_switch", "cpu_tables", "trap",
                 "fs_basic", "fs_path", "fs_grow", "fs_unlink_open", "fs_getcwd", "fs_leak"]
VARIANT_KTESTS = {
    "hw": ["file_fd", "file_pipe", "pipe_ring", "pipe_block", "pipe_eof",
           "killable_sleep", "killable_time_sleep", "proc_table", "exec_load", "usercopy",
           "uvm_space", "uvm_cow", "uvm_sbrk", "uvm_oom", "uvm_pcid", "exec_text_shared", "uvm_spans"],
    "sip": ["sip_loader", "sip_run_frees", "sip_handles", "sip_abi_table", "sip_fixed_code",
            "sip_kill_running", "sip_create_checks",
            "sip_domain_cmdline", "sip_domain_own", "sip_domain_large",
            "sip_ring3_stubs", "sip_ring3_pages", "sip_ring3_fault",
            "chan_order", "chan_full", "chan_closed", "chan_move", "chan_select", "chan_violation",
            "chan_cycle", "chan_leak", "chan_intr", "chan_stress", "chan_unrecv",
            "contract_registry", "contract_bad_machine", "contract_parse_refusal",
            "nsdir_register_connect", "fileserv_files", "fileserv_bad_requests",
            "fileserv_close_frees", "fileserv_many_connections", "consserv_editing"],
}
KTESTS = {v: SHARED_KTESTS + VARIANT_KTESTS[v] for v in VARIANT_KTESTS}

# The minimum the kernels must have (the design's core); KTESTS may grow past it.
REQUIRED_KTESTS = {"frame", "heap", "vm", "thread", "preempt", "waitq", "timer"}

KTEST_RESULT_RE = re.compile(r"^ktest (\S+): (PASS|FAIL)(.*)$", re.M)
KTEST_SUMMARY_RE = re.compile(r"^ktest summary: (\d+) passed, (\d+) failed", re.M)
KTEST_NAME_RE = re.compile(r"^ktest-name (\S+)\s*$", re.M)
INITRD_REFUSED_RE = re.compile(r"^initrd: refused: (\S+): (.*)$", re.M)
POWEROFF_RE = re.compile(r"^poweroff: status (\d+)", re.M)
MONITOR_PROMPT = "kmon$ "
SHELL_PROMPT = "$ "


def monitor_cmdline(variant):
    """The command line that gives the kernel monitor: both kernels boot into a shell without it."""
    return "monitor"


def banner_re(variant):
    return re.compile(rf"^Twofold {variant} kernel", re.M)


def why(run, what):
    """Assertion message: what went wrong plus where the transcript is."""
    return f"{what} (osrun exit {run.code}; transcript: {run.log})\n{run.stderr}"


# ktest=list per variant, asked once per worker process.
_ktest_lists = {}


def kernel_ktest_names(osrun, variant):
    if variant not in _ktest_lists:
        run = osrun(variant, cmdline="ktest=list")
        assert run.code == EXIT_OK, why(run, "ktest=list did not power off with status 0")
        names = KTEST_NAME_RE.findall(run.transcript)
        assert names, why(run, "ktest=list printed no 'ktest-name NAME' lines")
        assert len(names) == len(set(names)), why(run, f"ktest=list repeats names: {names}")
        _ktest_lists[variant] = names
    return _ktest_lists[variant]


def monitor_output(transcript, command):
    """The lines a monitor command printed: after the prompt line that typed it, up to
    the next prompt."""
    typed = f"{MONITOR_PROMPT}{command}\n"
    start = transcript.find(typed)
    if start < 0:
        return None
    start += len(typed)
    end = transcript.find(MONITOR_PROMPT, start)
    return transcript[start:end if end >= 0 else len(transcript)].splitlines()


def corrupt_first_checksum(data):
    """Change one octal digit of the first tar header's checksum field (bytes 148-155),
    so that header, and only its checksum, is wrong."""
    data = bytearray(data)
    for i in range(148, 156):
        if chr(data[i]) in "01234567":
            data[i] = ord(str((int(chr(data[i])) + 1) % 8))
            return bytes(data)
    raise ValueError("first tar header has no octal checksum digits")


# ------------------------------------------------------------------ boot and monitor

def test_boots_to_monitor_and_powers_off(osrun, variant):
    run = osrun(variant, cmdline=monitor_cmdline(variant), lines=["poweroff"])
    assert banner_re(variant).search(run.transcript), why(run, f"no 'Twofold {variant} kernel' banner")
    assert f"{MONITOR_PROMPT}poweroff" in run.transcript, why(run, "never reached the kmon$ prompt")
    assert POWEROFF_RE.search(run.transcript), why(run, "no 'poweroff: status N' line")
    assert run.code == EXIT_OK, why(run, "poweroff at the monitor did not exit with status 0")


def test_ls_lists_the_initrd(osrun, build, variant):
    expected = (build / variant / "initrd.list").read_text().splitlines()
    run = osrun(variant, cmdline=monitor_cmdline(variant), lines=["ls"])
    assert run.code == EXIT_OK, why(run, "did not power off cleanly after ls")
    listed = monitor_output(run.transcript, "ls")
    assert listed is not None, why(run, "the ls command never appeared at a kmon$ prompt")
    # Order is the file system's business; the set of "path size" lines is not.
    assert sorted(l.strip() for l in listed) == sorted(l.strip() for l in expected), \
        why(run, f"ls differs from {build / variant / 'initrd.list'}")


def test_malformed_initrd_is_refused(osrun, build, variant, tmp_path):
    good = (build / variant / "initrd.tar").read_bytes()
    if len(good) < 512 or not any(good[:512]):
        pytest.skip("the initrd has no file header to corrupt")
    bad = tmp_path / "initrd-bad-checksum.tar"
    bad.write_bytes(corrupt_first_checksum(good))
    # No monitor word for hw: with no file system there is no /bin/init, and the kernel
    # must say so and fall back to the monitor rather than stop.
    run = osrun(variant, lines=["poweroff"], initrd=bad)
    refused = INITRD_REFUSED_RE.search(run.transcript)
    assert refused, why(run, "no 'initrd: refused: MODULE: REASON' line")
    assert "checksum" in refused.group(2), why(run, f"refusal reason does not name the checksum: {refused.group(0)!r}")
    if variant == "hw":
        assert "init: cannot start /bin/init" in run.transcript, why(run, "no 'init: cannot start /bin/init' line")
    assert f"{MONITOR_PROMPT}poweroff" in run.transcript, why(run, "never reached the kmon$ prompt")
    assert run.code == EXIT_OK, why(run, "did not power off cleanly after refusing the initrd")


# ------------------------------------------------------------------ in-kernel tests

def test_ktest_list_matches_this_file(osrun, variant):
    names = kernel_ktest_names(osrun, variant)
    missing_here = sorted(set(names) - set(KTESTS[variant]))
    missing_there = sorted(set(KTESTS[variant]) - set(names))
    assert not missing_here, f"{variant} kernel ktests not listed in SHARED_KTESTS or VARIANT_KTESTS of {__file__}: {missing_here}"
    assert not missing_there, f"the {variant} kernel has no ktests {missing_there} (listed in {__file__})"


def test_ktest_all(osrun, variant):
    run = osrun(variant, cmdline="ktest=all", timeout=120)
    results = KTEST_RESULT_RE.findall(run.transcript)
    failed = [f"{name}: FAIL{rest}" for name, verdict, rest in results if verdict != "PASS"]
    assert not failed, why(run, "ktests failed:\n" + "\n".join(failed))
    summary = KTEST_SUMMARY_RE.search(run.transcript)
    assert summary, why(run, "no 'ktest summary' line")
    assert summary.group(2) == "0" and int(summary.group(1)) == len(results), \
        why(run, f"summary {summary.group(0)!r} disagrees with {len(results)} PASS lines")
    assert run.code == EXIT_OK, why(run, "ktest=all did not power off with status 0")
    ran = [name for name, _, _ in results]
    assert len(ran) == len(set(ran)), why(run, f"a ktest ran twice: {ran}")
    listed = kernel_ktest_names(osrun, variant)
    assert set(ran) == set(listed), \
        why(run, f"ktest=all ran {sorted(ran)} but ktest=list says {sorted(listed)}")
    assert REQUIRED_KTESTS <= set(ran), why(run, f"missing ktests: {sorted(REQUIRED_KTESTS - set(ran))}")


@pytest.mark.parametrize("variant,name", [(v, n) for v in KTESTS for n in KTESTS[v]])
def test_ktest_alone(osrun, variant, name):
    run = osrun(variant, cmdline=f"ktest={name}")
    results = KTEST_RESULT_RE.findall(run.transcript)
    assert [r[0] for r in results] == [name], why(run, f"expected exactly ktest {name} to run, saw {results}")
    assert results[0][1] == "PASS", why(run, f"ktest {name}: FAIL{results[0][2]}")
    summary = KTEST_SUMMARY_RE.search(run.transcript)
    assert summary and summary.groups() == ("1", "0"), why(run, "summary is not '1 passed, 0 failed'")
    assert run.code == EXIT_OK, why(run, "did not power off with status 0")


def test_unknown_ktest_fails(osrun, variant):
    run = osrun(variant, cmdline="ktest=no_such_ktest")
    assert "unknown ktest" in run.transcript, why(run, "no 'unknown ktest' message")
    assert run.code == EXIT_TEST_FAILED, why(run, "an unknown ktest must power off with status 1")


def test_deliberate_fault_panics_with_register_dump(osrun, variant):
    run = osrun(variant, cmdline="ktest=fault")
    assert run.code == EXIT_PANIC, why(run, "ktest=fault must end in a panic (osrun exit 3)")
    at = run.transcript.find("PANIC: ")
    assert at >= 0 and (at == 0 or run.transcript[at - 1] == "\n"), why(run, "no 'PANIC: ' line")
    dump = run.transcript[at:]
    assert re.search(r"rip .*ktest_deliberate_fault", dump), \
        why(run, "the register dump does not name ktest_deliberate_fault at rip")
    for reg in ("rax", "rsp", "cr2"):
        assert re.search(rf"\b{reg}\b", dump), why(run, f"the register dump has no {reg}")


# ------------------------------------------------------------------ hw: init and its shell

def test_hw_boots_into_init_and_its_shell(osrun):
    run = osrun("hw", lines=["echo shell is up"])
    assert banner_re("hw").search(run.transcript), why(run, "no 'Twofold hw kernel' banner")
    assert re.search(r"^init: starting sh$", run.transcript, re.M), why(run, "no 'init: starting sh' line")
    assert f"{SHELL_PROMPT}echo shell is up\nshell is up\n" in run.transcript, why(run, "the shell did not run echo")
    assert MONITOR_PROMPT not in run.transcript, why(run, "hw reached the kernel monitor instead of init")
    assert POWEROFF_RE.search(run.transcript), why(run, "no 'poweroff: status N' line")
    assert run.code == EXIT_OK, why(run, "the shell's poweroff did not exit with status 0")


# ------------------------------------------------------------------ Bochs

@pytest.mark.skipif(not bochs_available(), reason="bochs is not on PATH (tools/install-deps)")
def test_bochs_smoke(osrun):
    run = osrun("hw", cmdline="ktest=list", timeout=120, accel="bochs")
    assert banner_re("hw").search(run.transcript), why(run, "no 'Twofold hw kernel' banner under Bochs")
    assert KTEST_NAME_RE.search(run.transcript), why(run, "no ktest-name lines under Bochs")
    assert run.code == EXIT_OK, why(run, "did not power off with status 0 under Bochs")
