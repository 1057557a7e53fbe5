"""Settings change through the `Session`: saved, applied, and announced by `settings_changed`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from hma_gui.core.config.settings import Settings, WatchFolderSettings, load_settings
from hma_gui.core.errors import ConfigError
from hma_gui.ui.session import Session

pytestmark = pytest.mark.gui


def test_update_settings_saves_applies_and_signals(qtbot: QtBot, tmp_path: Path) -> None:
    saved: list[tuple[dict[str, Any], list[str]]] = []
    read_only = [False]

    def saver(values: dict[str, Any], replace: list[str]) -> None:
        if read_only[0]:
            raise ConfigError("read-only settings file")
        saved.append((values, replace))

    session = Session(load_settings(), store_file=tmp_path / "jobs.db", settings_saver=saver)
    seen: list[Settings] = []
    session.settings_changed.connect(seen.append)
    try:
        session.update_settings({"on_duplicate": "overwrite"})
        assert saved == [({"on_duplicate": "overwrite"}, [])]
        assert session.settings.on_duplicate == session.base_settings.on_duplicate == "overwrite"
        assert [s.on_duplicate for s in seen] == ["overwrite"]

        read_only[0] = True  # a failing file: nothing changes, nobody is told
        with pytest.raises(ConfigError):
            session.update_settings({"on_duplicate": "keep-both"})
        assert session.settings.on_duplicate == "overwrite" and len(seen) == 1
    finally:
        session.close()


def test_the_window_saves_the_watch_list_through_the_session(
    qtbot: QtBot, open_window, tmp_path: Path
) -> None:
    window = open_window(check_s3=False)
    seen: list[Settings] = []
    window.session.settings_changed.connect(seen.append)
    folder = tmp_path / "watched"
    folder.mkdir()
    window.watch_service.add_folder(WatchFolderSettings(path=folder, scope="mba"))
    assert [f.path for f in window.session.settings.watch_folders] == [folder]
    assert [f.path for f in window.session.base_settings.watch_folders] == [folder]
    assert seen and [f.path for f in seen[-1].watch_folders] == [folder]
    assert [f.path for f in load_settings().watch_folders] == [folder]  # in the file too
