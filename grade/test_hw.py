"""The hw kernel as a user and a grader see it, through tools/osrun: the issue's acceptance
line (a pipeline, usertests, a million fuzzed system calls), every usertests test as its own
pytest result (quick tier and slow tier), the shell (pipelines, redirection, `;`, `&`, cd,
error messages), a faulting program, kill from the shell, ps, and init reaping orphans.

Boots are the expensive part, so one boot serves many tests: `shared_boot` runs a console
script once per pytest session (also across xdist workers, through a file lock and the
session's testrunuid) and every test that needs it reads the same transcript. usertests
prints one `test NAME: OK|FAILED (reason)` line per test; the names come from the table in
user/hw/usertests.c, so a new test there becomes a new pytest result here by itself.
"""

import re

import pytest

from conftest import (EXIT_OK, ROOT, shared_boot)

ACCEPTANCE = ["echo hello world | cat | wc", "usertests", "sysfuzz 1000000 1"]
PROMPT = "$ "
FAULT_LINE_RE = re.compile(r"^pid (\d+) \((\S+)\): page fault at 0x0 rip 0x[0-9a-f]+, killed$", re.M)
SYSFUZZ_RE = re.compile(r"^sysfuzz: (\d+) calls, (\d+) errors, (\d+) children died, seed (\d+)$", re.M)
TEST_LINE_RE = re.compile(r"^test (\S+): (OK|FAILED)(?: \((.*)\))?$", re.M)


def usertests_names():
    """(quick, slow) test names, in order, from the tests[] table of user/hw/usertests.c."""
    src = (ROOT / "user" / "hw" / "usertests.c").read_text()
    table = src[src.index("static const struct test tests[] = {"):]
    table = table[:table.index("};")]
    found = re.findall(r"\b(QUICK|SLOW)\((\w+)\)", table)
    return ([n for tier, n in found if tier == "QUICK"], [n for tier, n in found if tier == "SLOW"])


QUICK_TESTS, SLOW_TESTS = usertests_names()


# ------------------------------------------------------------------ one boot, many tests



def outputs(transcript):
    """[(command, output)] for every line typed at a "$ " prompt, in order."""
    result = []
    pieces = transcript.split("\n" + PROMPT)
    for piece in pieces[1:]:
        command, _, output = piece.partition("\n")
        result.append((command, output))
    return result


def output_of(run, command, nth=0):
    """What `command` (typed at the prompt) printed; its nth occurrence."""
    seen = [out for cmd, out in outputs(run.transcript) if cmd == command]
    assert len(seen) > nth, why(run, f"the command {command!r} never ran")
    return seen[nth]


def why(run, what):
    return f"{what} (osrun exit {run.code}; transcript: {run.log})"


# ------------------------------------------------------------------ the acceptance line

@pytest.fixture
def acceptance(request):
    return shared_boot(request, "hw", "acceptance", ACCEPTANCE, timeout=600)


def test_acceptance(acceptance):
    """tools/osrun --variant hw -- 'echo hello world | cat | wc' 'usertests' 'sysfuzz 1000000 1'"""
    run = acceptance
    assert "PANIC" not in run.transcript, why(run, "the kernel panicked")
    assert output_of(run, ACCEPTANCE[0]).splitlines() == ["1 2 12"], why(run, "the pipeline did not print 1 2 12")
    ut = output_of(run, "usertests")
    assert "ALL TESTS PASSED" in ut, why(run, "usertests: " + (re.findall(r"^usertests: \d+ of .*$", ut, re.M) or ["no summary"])[0])
    fz = output_of(run, ACCEPTANCE[2])
    m = SYSFUZZ_RE.search(fz)
    assert m and m.group(1) == "1000000" and m.group(4) == "1", why(run, "no sysfuzz summary for 1000000 calls, seed 1")
    assert "frames leaked" not in fz, why(run, "sysfuzz: " + fz.strip().splitlines()[-1])
    assert "hung" not in fz, why(run, "a sysfuzz child hung")
    assert run.code == EXIT_OK, why(run, "did not power off with status 0")


def test_usertests_names_match_its_table(acceptance):
    """The quick run printed exactly the quick tests of usertests.c's table, each once."""
    ran = [name for name, _, _ in TEST_LINE_RE.findall(output_of(acceptance, "usertests"))]
    assert ran == QUICK_TESTS, why(acceptance, f"usertests ran {ran}, its table says {QUICK_TESTS}")
    assert len(QUICK_TESTS) + len(SLOW_TESTS) >= 40


def verdict(run, command, name):
    for test, result, reason in TEST_LINE_RE.findall(output_of(run, command)):
        if test == name:
            return result, reason
    return None, None


@pytest.mark.parametrize("name", QUICK_TESTS)
def test_usertests(acceptance, name):
    result, reason = verdict(acceptance, "usertests", name)
    assert result is not None, why(acceptance, f"usertests printed no line for {name} (a crash or hang before it?)")
    assert result == "OK", why(acceptance, f"usertests {name}: FAILED ({reason})")


# ------------------------------------------------------------------ the slow tier

@pytest.fixture
def slow_tier(request):
    return shared_boot(request, "hw", "usertests-slow", ["usertests -s"], timeout=300)


@pytest.mark.parametrize("name", QUICK_TESTS + SLOW_TESTS)
def test_usertests_slow_tier(slow_tier, name):
    """Both tiers, each test with its own free-frame leak check."""
    result, reason = verdict(slow_tier, "usertests -s", name)
    assert result is not None, why(slow_tier, f"usertests -s printed no line for {name}")
    assert result == "OK", why(slow_tier, f"usertests -s {name}: FAILED ({reason})")


def test_usertests_slow_tier_summary(slow_tier):
    out = output_of(slow_tier, "usertests -s")
    assert "ALL TESTS PASSED" in out, why(slow_tier, "usertests -s did not pass: " + out.strip().splitlines()[-1])
    assert slow_tier.code == EXIT_OK, why(slow_tier, "did not power off with status 0")


# ------------------------------------------------------------------ the shell

SHELL = [
    "echo hello world | cat | wc",
    "ls /bin | grep cat",
    "echo one > /f1", "cat /f1", "echo two >> /f1", "cat /f1", "wc < /f1", "grep two < /f1",
    "echo a ; echo b",
    "mkdir /dd", "cd /dd", "echo x > here", "ls", "cd /", "ls /dd", "cat dd/here",
    "nosuchcmd", "cat /nosuchfile", "cat < /nosuchfile", "cd /nonexistent", "rm /f1", "cat /f1",
    "echo \"two  spaces\" x",
    "usertests -crash", "echo still here",
    "sleep 1 &", "ps",
    "sh -c \"sleep 1 &\"", "sleep 2", "ps",
    "usertests pipe_eof", "usertests -l", "usertests nosuch",
]


@pytest.fixture
def shell(request):
    return shared_boot(request, "hw", "shell", SHELL, timeout=120)


def test_shell_boots_and_powers_off(shell):
    assert "init: starting sh" in shell.transcript, why(shell, "no 'init: starting sh'")
    assert "PANIC" not in shell.transcript, why(shell, "the kernel panicked")
    assert shell.code == EXIT_OK, why(shell, "did not power off with status 0")


def test_shell_pipelines(shell):
    assert output_of(shell, "echo hello world | cat | wc").splitlines() == ["1 2 12"], why(shell, "echo | cat | wc")
    assert re.match(r"cat\s+file\s+\d+$", output_of(shell, "ls /bin | grep cat").strip()), why(shell, "ls /bin | grep cat")


def test_shell_redirection(shell):
    assert output_of(shell, "cat /f1", 0).splitlines() == ["one"], why(shell, "> did not write the file")
    assert output_of(shell, "cat /f1", 1).splitlines() == ["one", "two"], why(shell, ">> did not append")
    assert output_of(shell, "wc < /f1").split() == ["2", "2", "8"], why(shell, "< did not feed wc")
    assert output_of(shell, "grep two < /f1").splitlines() == ["two"], why(shell, "grep < file")


def test_shell_semicolon(shell):
    assert output_of(shell, "echo a ; echo b").splitlines() == ["a", "b"], why(shell, "a ; b")


def test_shell_cd_and_mkdir(shell):
    assert output_of(shell, "ls").split()[:2] == ["here", "file"], why(shell, "ls after cd /dd")
    assert output_of(shell, "ls /dd").split()[:2] == ["here", "file"], why(shell, "ls /dd")
    assert output_of(shell, "cat dd/here").splitlines() == ["x"], why(shell, "relative path after cd /")


def test_shell_quotes(shell):
    assert output_of(shell, "echo \"two  spaces\" x").splitlines() == ["two  spaces x"], why(shell, "quoting")


def test_shell_missing_command(shell):
    assert output_of(shell, "nosuchcmd").splitlines() == ["sh: nosuchcmd: command not found"], why(shell, "message")


def test_shell_missing_file(shell):
    assert output_of(shell, "cat /nosuchfile").splitlines() == ["cat: /nosuchfile: No such file or directory"], \
        why(shell, "cat of a missing file")
    assert output_of(shell, "cat < /nosuchfile").splitlines() == ["sh: /nosuchfile: No such file or directory"], \
        why(shell, "< of a missing file")
    assert output_of(shell, "cd /nonexistent").splitlines() == ["sh: cd: /nonexistent: No such file or directory"], \
        why(shell, "cd to a missing directory")
    assert output_of(shell, "cat /f1", 2).splitlines() == ["cat: /f1: No such file or directory"], \
        why(shell, "rm did not remove /f1")


def test_faulting_program_dies_alone(shell):
    out = output_of(shell, "usertests -crash")
    m = FAULT_LINE_RE.search(out)
    assert m and m.group(2) == "usertests", why(shell, f"no 'pid N (usertests): page fault at 0x0 rip 0x..., killed' line: {out!r}")
    assert out.strip() == m.group(0), why(shell, f"more than the one line: {out!r}")
    assert output_of(shell, "echo still here").splitlines() == ["still here"], why(shell, "the shell died with it")


def ps_rows(output):
    """{pid: (ppid, state, name)} from ps's output."""
    rows = {}
    for line in output.splitlines()[1:]:
        f = line.split()
        if len(f) >= 6 and f[0].isdigit():
            rows[int(f[0])] = (int(f[1]), f[2], f[5])
    return rows


def test_background_job_and_ps(shell):
    started = re.fullmatch(r"\[(\d+)\]", output_of(shell, "sleep 1 &").strip())
    assert started, why(shell, "sleep 1 & did not print [PID]")
    pid = int(started.group(1))
    rows = ps_rows(output_of(shell, "ps", 0))
    assert rows.get(1, (None, None, None))[2] == "init" and rows.get(2, (None,) * 3)[2] == "sh", \
        why(shell, f"ps does not show init and sh: {rows}")
    assert rows.get(pid) == (2, "sleep", "sleep"), why(shell, f"ps does not show the sleeping job {pid}: {rows}")
    assert f"[{pid}] done" in shell.transcript, why(shell, f"the shell never reported [{pid}] done")


def test_init_reaps_orphans(shell):
    """sh -c "sleep 1 &" leaves an orphan: init adopts it and reaps it when it ends."""
    started = re.fullmatch(r"\[(\d+)\]", output_of(shell, "sh -c \"sleep 1 &\"").strip())
    assert started, why(shell, "the inner shell did not start its job")
    rows = ps_rows(output_of(shell, "ps", 1))
    assert int(started.group(1)) not in rows, why(shell, f"the orphan is still in the table: {rows}")
    assert not [r for r in rows.values() if r[1] == "zombie"], why(shell, f"zombies left: {rows}")


def test_usertests_by_name_and_list(shell):
    one = output_of(shell, "usertests pipe_eof")
    assert [l for l in one.splitlines() if l.startswith("test ")] == ["test pipe_eof: OK"], why(shell, one)
    assert "ALL TESTS PASSED" in one, why(shell, one)
    listed = [l.split() for l in output_of(shell, "usertests -l").splitlines()]
    assert [l[0] for l in listed] == QUICK_TESTS + SLOW_TESTS, why(shell, "usertests -l")
    assert output_of(shell, "usertests nosuch").splitlines() == \
        ["usertests: no test named nosuch (usertests -l lists them)"], why(shell, "usertests nosuch")


# ------------------------------------------------------------------ kill from the shell

def test_kill_blocked_process_from_the_shell(osrun):
    """A job blocked in a system call (sleep) is killed by pid from the shell. Pids are handed
    out in order, so in a fresh boot the first job gets pid 3 (init 1, sh 2)."""
    run = osrun("hw", lines=["sleep 100 &", "ps", "kill 3", "sleep 1", "ps"], timeout=60)
    assert output_of(run, "sleep 100 &").strip() == "[3]", why(run, "the first job is not pid 3")
    assert ps_rows(output_of(run, "ps", 0)).get(3) == (2, "sleep", "sleep"), why(run, "pid 3 not sleeping")
    assert output_of(run, "kill 3").strip() in ("", "[3] killed"), why(run, "kill 3 printed an error")
    assert "[3] killed" in run.transcript, why(run, "the shell never reported [3] killed")
    assert 3 not in ps_rows(output_of(run, "ps", 1)), why(run, "pid 3 is still there")
    assert run.code == EXIT_OK, why(run, "did not power off with status 0")


def test_forktest(osrun):
    run = osrun("hw", lines=["forktest", "echo after"], timeout=120)
    assert "forktest: ok" in output_of(run, "forktest"), why(run, "forktest did not print 'forktest: ok'")
    assert output_of(run, "echo after").splitlines() == ["after"], why(run, "no shell after forktest")


def test_sysfuzz_with_a_racing_thread(osrun):
    """sysfuzz -r: a second thread closes, dups and unlinks under the fuzzed calls."""
    run = osrun("hw", lines=["sysfuzz 100000 7 -r"], timeout=300)
    out = output_of(run, "sysfuzz 100000 7 -r")
    m = SYSFUZZ_RE.search(out)
    assert m and m.group(1) == "100000", why(run, "no sysfuzz summary for 100000 calls")
    assert "frames leaked" not in out and "hung" not in out, why(run, out.strip().splitlines()[-1])
    assert "PANIC" not in run.transcript and run.code == EXIT_OK, why(run, "did not power off with status 0")
