"""The shell under Bochs: tools/osrun types console lines there too (COM1 on a pty it
drives, as it drives QEMU's stdio), which is what lets tools/demo-tlb run tlbdemo on
Bochs's PCID-capable CPU.  Bochs takes tens of seconds to boot: one boot here.  (The
Bochs boot without console lines is test_boot.py's test_bochs_smoke.)"""

import re

import pytest

from conftest import EXIT_OK, bochs_available

SHELL_PROMPT = "$ "


def why(run, what):
    return f"{what} (osrun exit {run.code}; transcript: {run.log})\n{run.stderr}"


@pytest.mark.skipif(not bochs_available(), reason="bochs is not on PATH (tools/install-deps)")
def test_bochs_types_shell_lines_in_order(osrun):
    run = osrun("hw", lines=["echo hi from bochs", "echo second line"], timeout=240,
                accel="bochs")
    text = run.transcript
    assert re.search(r"^Twofold hw kernel", text, re.M), why(run, "no hw banner under Bochs")
    first = f"{SHELL_PROMPT}echo hi from bochs\nhi from bochs\n"
    second = f"{SHELL_PROMPT}echo second line\nsecond line\n"
    assert first in text, why(run, "the first line was not typed and run under Bochs")
    assert second in text, why(run, "the second line was not typed and run under Bochs")
    assert text.index(first) < text.index(second), why(run, "the lines ran out of order")
    assert f"{SHELL_PROMPT}poweroff\n" in text, why(run, "osrun did not type poweroff last")
    assert run.code == EXIT_OK, why(run, "the shell's poweroff did not end the run with status 0")
