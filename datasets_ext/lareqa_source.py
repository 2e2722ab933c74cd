"""Where the LAReQA JSON files come from: a local mirror, or the pinned download verified by md5.

``PYTERRIER_HYBRID_LAREQA`` names a folder laid out like the release (``xquad-r/{lang}.json``,
``mlqa-r/{lang}.json``); it is read in place, never modified, and never needs the network.
Otherwise each file is downloaded once from the address pinned in ``lareqa_manifest.tsv`` into
the ir_datasets home with ir_datasets' own ``Download`` (which writes to a temporary file and
only moves it into place after the md5 matched, so a bad download never stays on disk).
"""
from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import ir_datasets
from ir_datasets.util import Download, RequestsDownload
from ir_datasets.util.hash import HashVerificationError

MIRROR_ENV = "PYTERRIER_HYBRID_LAREQA"
_logger = ir_datasets.log.easy()


class ChecksumError(HashVerificationError):
    """A LAReQA file's md5 differs from the pinned one."""


@dataclass(frozen=True)
class SourceFile:
    """One pinned file of the release: its relative path, md5, size and download address."""
    path: str
    md5: str
    size: int
    url: str


def load_manifest() -> dict[str, SourceFile]:
    """The pinned files, keyed by relative path (``xquad-r/de.json``)."""
    text = resources.files("datasets_ext").joinpath("lareqa_manifest.tsv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines(), delimiter="\t")
    return {r["file"]: SourceFile(r["file"], r["md5"], int(r["bytes"]), r["source"]) for r in rows}


MANIFEST: dict[str, SourceFile] = load_manifest()


def md5_of(path: Path) -> str:
    """Hex md5 of a file, read in chunks."""
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _verified_mirror_file(mirror: Path, source: SourceFile) -> Path:
    path = mirror / source.path
    if not path.exists():
        raise FileNotFoundError(f"{MIRROR_ENV}={mirror} has no {source.path} (expected {path}); the mirror "
                                "must be laid out like the LAReQA release: xquad-r/{lang}.json, mlqa-r/{lang}.json")
    actual = md5_of(path)
    if actual != source.md5:
        raise ChecksumError(f"checksum mismatch for mirrored file {path}: expected md5 {source.md5}, "
                            f"got {actual}; the mirror was left untouched - replace the file")
    return path


def _downloaded_file(source: SourceFile) -> Path:
    target = ir_datasets.util.home_path() / "lareqa" / source.path
    if target.exists() and md5_of(target) != source.md5:
        target.unlink()
        _logger.warn(f"removed {target}: its md5 no longer matched {source.md5}; downloading it again")
    download = Download([RequestsDownload(source.url)], cache_path=str(target), expected_md5=source.md5)
    try:
        return Path(download.path())
    except HashVerificationError as e:
        raise ChecksumError(f"checksum mismatch for {source.path} downloaded from {source.url}: {e}; "
                            f"the bad download was removed (nothing kept at {target})") from e


def lareqa_file(family: str, lang: str) -> Path:
    """Local path of ``{family}/{lang}.json``: from the mirror if set, else downloaded and verified."""
    key = f"{family}/{lang}.json"
    if key not in MANIFEST:
        raise ValueError(f"no pinned LAReQA file {key}; valid files: {', '.join(MANIFEST)}")
    mirror = os.environ.get(MIRROR_ENV)
    if mirror:
        return _verified_mirror_file(Path(mirror), MANIFEST[key])
    return _downloaded_file(MANIFEST[key])
