"""Provenance: the exact command, the commit, package versions and hardware a result was produced with."""
from __future__ import annotations

import subprocess

from pyterrier_hybrid.experiments.provenance import PACKAGES, command_line, git_commit, hardware, package_versions


def test_command_line_is_the_command_as_typed():
    assert command_line(["/x/.venv/bin/pyterrier-hybrid", "reproduce", "--out", "a b"]) == \
        "pyterrier-hybrid reproduce --out 'a b'"


def test_versions_name_every_package_and_mark_the_missing(monkeypatch):
    versions = package_versions()
    assert set(PACKAGES) <= set(versions) and versions["python"].count(".") == 2
    monkeypatch.setattr("pyterrier_hybrid.experiments.provenance.PACKAGES", ("no-such-package-xyz",))
    assert package_versions()["no-such-package-xyz"] == "-"


def test_commit_is_this_checkout_or_a_dash():
    commit = git_commit()
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert commit == "-" or commit.startswith(head[:7]) or len(commit) >= 7


def test_hardware_names_the_cpu_and_cores():
    record = hardware()
    assert record["cores"] >= 1 and record["cpu"] and record["memory GiB"] > 0
