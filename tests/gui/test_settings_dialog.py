"""The settings dialog: validated as you type; a bad value is shown and never saved."""

from __future__ import annotations

import os
import tomllib

import pytest
from pytestqt.qtbot import QtBot

from hma_gui.core import app_dirs
from hma_gui.core.config.settings import load_settings
from hma_gui.ui.settings.connection_tab import DEFAULT_PROFILE
from hma_gui.ui.settings.dialog import SettingsDialog

pytestmark = pytest.mark.gui


def dialog(qtbot: QtBot) -> SettingsDialog:
    widget = SettingsDialog(load_settings())
    qtbot.addWidget(widget)
    return widget


def test_a_bad_value_is_named_and_cannot_be_saved(qtbot: QtBot) -> None:
    d = dialog(qtbot)
    assert d.save_button.isEnabled()
    d.concurrency.setValue(0)
    assert not d.save_button.isEnabled()
    assert "Parallel uploads: Input should be greater than or equal to 1 (got 0)" in (
        d.error_label.text()
    )
    assert not d.error_label.isHidden()
    assert d.concurrency.property("invalid") is True
    d.save()  # even if called, nothing is written
    assert not app_dirs.settings_file().exists()
    d.concurrency.setValue(4)
    assert d.save_button.isEnabled()
    assert d.error_label.isHidden()
    assert d.concurrency.property("invalid") is False


def test_bad_bucket_endpoint_and_kms_are_each_reported(qtbot: QtBot) -> None:
    d = dialog(qtbot)
    d.scopes.item(0, 1).setText("Not_A_Bucket")
    assert "Scope mba, bucket: 'Not_A_Bucket' is not a valid S3 bucket name" in d.error_label.text()
    assert d.scopes.property("invalid") is True
    d.scopes.item(0, 1).setText("good-bucket")
    d.endpoint.setText("ftp://nope")
    assert "S3 endpoint: 'ftp://nope' is not an http(s) URL" in d.error_label.text()
    d.endpoint.setText("")
    d.kms_key.setText("arn:aws:kms:eu-west-1:1:key/x")  # set while SSE is AES256
    assert "sse_kms_key_id is set but sse is not 'aws:kms'" in d.error_label.text()
    assert d.kms_key.property("invalid") is True
    assert not d.save_button.isEnabled()
    d.sse.setCurrentIndex(d.sse.findData("aws:kms"))
    assert d.save_button.isEnabled()


def test_saved_values_reach_the_settings_file_and_the_model(qtbot: QtBot) -> None:
    app_dirs.ensure_dir(app_dirs.config_dir())
    app_dirs.settings_file().write_text('db_url = "sqlite:///x.db"\n')
    d = dialog(qtbot)
    d.add_scope()
    row = d.scopes.rowCount() - 1
    d.scopes.item(row, 0).setText("claims")
    d.scopes.item(row, 1).setText("claims-bucket")
    d.scopes.item(row, 2).setText("claims")
    d.region.setText("eu-central-1")
    d.include.setText("CSV, .pdf")
    d.concurrency.setValue(3)
    with qtbot.waitSignal(d.saved) as saved:
        d.save()
    settings = saved.args[0]
    assert settings.concurrency == 3
    assert settings.scope("claims").bucket == "claims-bucket"
    assert settings.scope("claims").prefix == "claims/"
    data = tomllib.loads(app_dirs.settings_file().read_text())
    assert data["db_url"] == "sqlite:///x.db"  # keys the dialog does not show are kept
    assert data["region"] == "eu-central-1"
    assert data["include"] == ["csv", "pdf"]
    assert "aws_profile" not in data  # the default chain is not written as a name


def test_scopes_can_be_removed_except_the_built_in_ones(qtbot: QtBot) -> None:
    d = dialog(qtbot)
    d.scopes.setCurrentCell(0, 0)  # mba
    assert not d.remove_scope_button.isEnabled()
    d.add_scope()
    rows = d.scopes.rowCount()
    assert d.remove_scope_button.isEnabled()
    d.remove_scope()
    assert d.scopes.rowCount() == rows - 1
    d.add_scope()
    d.add_scope()
    d.scopes.item(d.scopes.rowCount() - 1, 0).setText(
        d.scopes.item(d.scopes.rowCount() - 2, 0).text()
    )
    assert "unique" in d.error_label.text()


def test_aws_profiles_come_from_the_users_aws_config(qtbot: QtBot) -> None:
    with open(os.environ["AWS_CONFIG_FILE"], "w") as config:
        config.write("[default]\nregion = eu-west-1\n[profile analytics]\nregion = us-east-2\n")
    d = dialog(qtbot)
    items = [d.profile.itemText(i) for i in range(d.profile.count())]
    assert items == [DEFAULT_PROFILE, "analytics", "default"]
    d.profile.setCurrentText("analytics")
    assert d.values()["aws_profile"] == "analytics"


def test_every_spin_box_wears_the_themes_frame(qtbot: QtBot, qapp: object) -> None:
    """The style sheet named QSpinBox only: the decimal "a file is done after" box kept
    the platform's plain frame among the themed fields (QAbstractSpinBox covers both)."""
    from PySide6.QtWidgets import QApplication

    from hma_gui.ui import theme

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.styleSheet()
    theme.apply(app)
    try:
        d = dialog(qtbot)
        d.resize(700, 650)
        d.show()
        qtbot.waitExposed(d)

        def top_border(widget: object) -> str:
            image = widget.grab().toImage()  # type: ignore[attr-defined]
            return str(image.pixelColor(image.width() // 2, 0).name())

        assert top_border(d.settle) == top_border(d.concurrency) == theme.current("#d5dce6")
    finally:
        app.setStyleSheet(before)
