"""tools/codecost without booting: the re-sealed initrd keeps every other file as it was
and replaces only the one image, the table divides by native and names every row, and
the command line refuses a mode that is not explicit, guard or none.

(codebench itself runs on posix, hw and sip in grade/test_portable.py, which checks every
row and its self-check line; make code-cost is a benchmark and is not run here.)
"""
import io
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import benchlib  # noqa: E402

codecost = benchlib.load_tool("codecost")


def make_tar(path, files):
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def read_tar(path):
    with tarfile.open(path) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}


def test_replace_in_initrd_keeps_the_rest(tmp_path):
    src, dst = tmp_path / "a.tar", tmp_path / "b.tar"
    files = {"sip/codebench.sip": b"old", "sip/hello.sip": b"hello", "data/x": b"x" * 1000}
    make_tar(src, files)
    codecost.replace_in_initrd(src, dst, "sip/codebench.sip", b"new image")
    assert read_tar(dst) == {**files, "sip/codebench.sip": b"new image"}
    assert read_tar(src) == files, "the build's initrd must stay as it was"
    with tarfile.open(dst) as tar:
        assert [m.name for m in tar.getmembers()] == sorted(files), "sorted, as mkinitrd writes"
        assert all(m.mtime == 0 and m.uid == 0 for m in tar.getmembers())


def stats(median):
    return {"median": median}


def test_table_ratios_and_summary():
    systems = {"hw": {"rows": {k: stats(100.0) for k in codecost.ROWS}},
               "sip-guard": {"rows": {k: stats(120.0) for k in codecost.ROWS}},
               "sip-none": {"rows": {"verify_4k": stats(50.0)}}}
    rows = codecost.row_table(systems, ["guard", "none"])
    assert [r["key"] for r in rows] == list(codecost.ROWS)
    assert all(r["ratio"]["guard"] == 1.2 for r in rows)
    assert rows[0]["ratio"]["none"] == 0.5 and rows[1]["ratio"]["none"] is None
    s = codecost.summary(rows, ["guard", "none"])
    assert s["guard"] == {"geomean": 1.2, "within_target": len(rows), "rows": len(rows)}
    res = {"modes": ["guard", "none"], "runs": 5, "rows": rows, "summary": s,
           "systems": {"hw": {"problems": []}, "sip-none": {"problems": ["no self-check line"]}}}
    md = codecost.markdown(res)
    assert "| verify_4k | webfiles check_bytes | 100 | 120 | 1.20 | 50 | 0.50 |" in md
    assert "sip-none: no self-check line" in md


@pytest.mark.parametrize("modes", ["guard,unsafe", ","])
def test_bad_modes_are_refused(modes, capsys):
    with pytest.raises(SystemExit):
        codecost.parse_args(["--modes", modes])
    assert "not explicit, guard or none" in capsys.readouterr().err


def test_codebench_rows_match():
    """codecost's rows are codebench's, in its order (the table is keyed by them)."""
    src = (ROOT / "user/portable/codebench.c").read_text()
    keys = [line.split('"')[1] for line in src.splitlines()
            if line.strip().startswith('{ "') and "quick" not in line]
    assert keys == list(codecost.ROWS)
