"""Registration helpers: ir_datasets YAML documentation read from this package, and id bookkeeping."""
from __future__ import annotations

from importlib import resources

import ir_datasets
import yaml
from ir_datasets.datasets.base import YamlDocumentation


class PackageYamlDocumentation(YamlDocumentation):
    """``YamlDocumentation`` whose file lives in ``datasets_ext/docs/``."""

    def get_key(self, key):
        if not self._contents:
            text = resources.files("datasets_ext").joinpath("docs", self._file).read_text(encoding="utf-8")
            self._contents = yaml.load(text, Loader=yaml.BaseLoader)  # only strings, as ir_datasets does
        return self._contents.get(key)


def register_dataset(registered: list[str], dataset_id: str, dataset) -> None:
    """Register ``dataset`` with ir_datasets under ``dataset_id`` and note the id in ``registered``."""
    ir_datasets.registry.register(dataset_id, dataset)
    registered.append(dataset_id)
