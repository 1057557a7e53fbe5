"""What hma.spec leaves out of the bundle (packaging/bundle_filter.py), on made-up TOCs."""

from __future__ import annotations

import pytest

from tests.packaging.conftest import load_packaging_module

bundle_filter = load_packaging_module("bundle_filter")

QT = "PySide6/Qt"

# dest -> libraries it links to (by name), as PyInstaller's ldd-based analysis reports them.
LINKS = {
    "/src/QtWidgets.abi3.so": {"libQt6Widgets.so.6", "libQt6Gui.so.6", "libQt6Core.so.6"},
    "/src/libQt6Widgets.so.6": {"libQt6Gui.so.6", "libQt6Core.so.6"},
    "/src/libQt6Gui.so.6": {"libQt6Core.so.6", "libglib-2.0.so.0", "libfreetype.so.6"},
    "/src/libqxcb.so": {"libQt6Gui.so.6", "libxcb-cursor.so.0", "libglib-2.0.so.0"},
    "/src/libqgtk3.so": {"libgtk-3.so.0", "libcairo.so.2", "libglib-2.0.so.0", "libQt6Gui.so.6"},
    "/src/libgtk-3.so.0": {"libcairo.so.2", "libpango-1.0.so.0", "libglib-2.0.so.0"},
    "/src/QtDBus.abi3.so": {"libQt6DBus.so.6", "libQt6Core.so.6"},
    "/src/QtNetwork.abi3.so": {"libQt6Network.so.6", "libQt6Core.so.6"},
    "/src/libqopensslbackend.so": {"libQt6Network.so.6"},
}


def imports(path: str) -> set[str]:
    return LINKS.get(path, set())


def entry(dest: str, kind: str = "BINARY") -> tuple[str, str, str]:
    return (dest, "/src/" + dest.rsplit("/", 1)[-1], kind)


BINARIES = [
    entry("PySide6/QtWidgets.abi3.so", "EXTENSION"),
    entry("PySide6/QtNetwork.abi3.so", "EXTENSION"),
    entry("PySide6/QtDBus.abi3.so", "EXTENSION"),
    entry(f"{QT}/lib/libQt6Widgets.so.6"),
    entry(f"{QT}/lib/libQt6Gui.so.6"),
    entry(f"{QT}/lib/libQt6Core.so.6"),
    entry(f"{QT}/lib/libQt6Network.so.6"),
    entry(f"{QT}/lib/libQt6DBus.so.6"),
    entry(f"{QT}/plugins/platforms/libqxcb.so"),
    entry(f"{QT}/plugins/platformthemes/libqgtk3.so"),
    entry(f"{QT}/plugins/tls/libqopensslbackend.so"),
    entry("libgtk-3.so.0"),
    entry("libcairo.so.2"),
    entry("libpango-1.0.so.0"),
    entry("libglib-2.0.so.0"),
    entry("libfreetype.so.6"),
    entry("libxcb-cursor.so.0"),
    entry("libffi-from-ctypes.so.8"),  # found through a ctypes call: linked by nothing
]
DATAS = [
    (f"{QT}/translations/qtbase_de.qm", "/src/qtbase_de.qm", "DATA"),
    ("botocore/data/s3/2006-03-01/service-2.json.gz", "/src/s3", "DATA"),
    ("botocore/data/ec2/2016-11-15/service-2.json.gz", "/src/ec2", "DATA"),
    ("botocore/data/sso-oidc/2019-06-10/service-2.json.gz", "/src/sso-oidc", "DATA"),
    ("botocore/data/endpoints.json", "/src/endpoints.json", "DATA"),
    ("libQt6Network.so.6", f"{QT}/lib/libQt6Network.so.6", "SYMLINK"),
    ("libQt6DBus.so.6", f"{QT}/lib/libQt6DBus.so.6", "SYMLINK"),
    ("libQt6Core.so.6", f"{QT}/lib/libQt6Core.so.6", "SYMLINK"),
]


def prune(keep: tuple[str, ...] = ()) -> tuple[set[str], set[str], set[str]]:
    rules = bundle_filter.active_rules(keep)
    binaries, datas, dropped = bundle_filter.prune(BINARIES, DATAS, rules, imports)
    return {b[0] for b in binaries}, {d[0] for d in datas}, set(dropped)


def test_the_gtk_theme_goes_with_the_libraries_only_it_needed() -> None:
    binaries, _, dropped = prune()
    assert f"{QT}/plugins/platformthemes/libqgtk3.so" in dropped
    assert {"libgtk-3.so.0", "libcairo.so.2", "libpango-1.0.so.0"} <= dropped
    # glib is needed by QtGui and the xcb plugin too: it stays
    assert {"libglib-2.0.so.0", "libfreetype.so.6", "libxcb-cursor.so.0"} <= binaries
    assert f"{QT}/plugins/platforms/libqxcb.so" in binaries


def test_unused_qt_modules_go_and_their_library_and_links_follow() -> None:
    binaries, datas, dropped = prune()
    assert "PySide6/QtDBus.abi3.so" in dropped
    assert f"{QT}/plugins/tls/libqopensslbackend.so" in dropped
    assert f"{QT}/lib/libQt6DBus.so.6" in dropped  # nothing else links it
    assert "libQt6DBus.so.6" not in datas  # no dangling top-level link
    # QtNetwork stays: QLocalServer keeps one window per data directory
    assert {"PySide6/QtNetwork.abi3.so", f"{QT}/lib/libQt6Network.so.6"} <= binaries
    assert "libQt6Core.so.6" in datas
    assert {"PySide6/QtWidgets.abi3.so", f"{QT}/lib/libQt6Core.so.6"} <= binaries


def test_a_library_nothing_links_stays() -> None:
    binaries, _, _ = prune()
    assert "libffi-from-ctypes.so.8" in binaries


def test_translations_and_unused_botocore_models_go() -> None:
    _, datas, _ = prune()
    assert f"{QT}/translations/qtbase_de.qm" not in datas
    assert "botocore/data/ec2/2016-11-15/service-2.json.gz" not in datas
    assert {
        "botocore/data/s3/2006-03-01/service-2.json.gz",
        "botocore/data/sso-oidc/2019-06-10/service-2.json.gz",
        "botocore/data/endpoints.json",
    } <= datas


def test_a_rule_turned_off_keeps_its_files() -> None:
    binaries, datas, _ = prune(keep=("gtk-theme", "botocore-data"))
    assert f"{QT}/plugins/platformthemes/libqgtk3.so" in binaries
    assert "libgtk-3.so.0" in binaries
    assert "botocore/data/ec2/2016-11-15/service-2.json.gz" in datas
    assert f"{QT}/translations/qtbase_de.qm" not in datas  # the others still apply


def test_an_unknown_rule_name_is_refused() -> None:
    with pytest.raises(SystemExit, match="unknown rule"):
        bundle_filter.active_rules(["no-such-rule"])


def test_moto_keeps_the_services_the_s3_server_imports() -> None:
    excludes = set(bundle_filter.module_excludes())
    assert {"pytest", "hypothesis", "tkinter"} <= excludes
    assert {"moto.ec2", "moto.stepfunctions", "moto.awslambda"} <= excludes
    kept = {"moto.s3", "moto.core", "moto.moto_api", "moto.moto_server", "moto.iam", "moto.sts"}
    assert not kept & excludes
    assert "moto.ec2" not in bundle_filter.module_excludes(["moto-services"])
