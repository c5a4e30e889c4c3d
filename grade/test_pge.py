"""pge=off on the kernel command line: the kernel leaves CR4.PGE clear, so its own
(PTE_G) mappings are flushed on every CR3 write too (make demo-tlb compares it with
the default and with pcid=off). Both kernels honour it: the option lives in the
shared core (mm/vm.c), which says at boot which way it went."""

import re

KTEST_RESULT_RE = re.compile(r"^ktest vm_pge: (PASS|FAIL)(.*)$", re.M)
PGE_LINE_RE = re.compile(r"^vm: pge (on|off \(pge=off\))$", re.M)


def why(run, what):
    return f"{what} (osrun exit {run.code}; transcript: {run.log})\n{run.stderr}"


def pge_boot(osrun, variant, cmdline):
    run = osrun(variant, cmdline=cmdline)
    said = PGE_LINE_RE.findall(run.transcript)
    result = KTEST_RESULT_RE.findall(run.transcript)
    return run, said, result


def test_pge_on_by_default(osrun, variant):
    run, said, result = pge_boot(osrun, variant, "ktest=vm_pge")
    assert said == ["on"], why(run, f"expected one boot line 'vm: pge on', saw {said}")
    assert result and result[0][0] == "PASS", why(run, f"ktest vm_pge (CR4.PGE set): {result}")


def test_pge_off_clears_cr4_pge(osrun, variant):
    run, said, result = pge_boot(osrun, variant, "pge=off ktest=vm_pge")
    assert said == ["off (pge=off)"], why(run, f"expected one boot line 'vm: pge off (pge=off)', saw {said}")
    assert result and result[0][0] == "PASS", why(run, f"ktest vm_pge (CR4.PGE clear): {result}")


def test_pge_off_still_runs_programs(osrun):
    """Without global pages every switch to and from a process flushes the kernel's
    entries as well: the kernel must still work (it reached its shell, ran a program)."""
    run = osrun("hw", cmdline="pge=off", lines=["echo pge-off-shell"])
    assert PGE_LINE_RE.findall(run.transcript) == ["off (pge=off)"], why(run, "no 'vm: pge off' line")
    assert re.search(r"^pge-off-shell$", run.transcript, re.M), why(run, "echo's output missing")
    assert run.code == 0, why(run, "did not power off with status 0")
