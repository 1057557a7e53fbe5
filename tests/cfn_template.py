"""A CloudFormation template under deploy/ as data, for tests that check what it says.

PyYAML (it comes with cfn-lint) with CloudFormation's short-form tags read as their
long form, as cfn-lint reads them: ``!Ref X`` → ``{"Ref": "X"}``, ``!GetAtt A.Arn``
→ ``{"Fn::GetAtt": ["A", "Arn"]}``, ``!Sub s`` → ``{"Fn::Sub": "s"}``. Duplicate
keys are refused, as cfn-lint refuses them. Importing cfn-lint only to parse cost
about a second; whether a template is valid is cfn-lint's own test (marked slow).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class _CfnLoader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML has no stubs here
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = [self.construct_object(key, deep=deep) for key, _ in node.value]
        duplicates = {key for key in keys if keys.count(key) > 1}
        if duplicates:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate keys {sorted(duplicates)}", node.start_mark
            )
        return dict(super().construct_mapping(node, deep=deep))


def _short_form(loader: _CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {suffix if suffix == "Ref" else f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _short_form)


def load_template(path: Path) -> dict[str, Any]:
    loaded = yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506 - a SafeLoader
    assert isinstance(loaded, dict)
    return loaded
