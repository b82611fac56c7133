"""The export dialog as a user sees it: laid out after finishing, one export at a time,
the Videos folder by default."""

from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QStyle

from reeleditor.ui.export_dialog import ExportDialog, default_export_folder


def _fits(widget) -> bool:
    hint, size = widget.sizeHint(), widget.size()
    return size.width() >= hint.width() and size.height() >= hint.height()


def _same_icon(a, b) -> bool:
    return a.pixmap(16, 16).toImage() == b.pixmap(16, 16).toImage()


def test_after_finishing_nothing_is_squashed_and_close_has_its_own_icon(
    qtbot, recorded_session, runner, tmp_path
):
    dialog = ExportDialog(recorded_session.store, recorded_session.draft, runner, tmp_path, "small")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.path.setText(str(tmp_path / f"{'a long name for a reel ' * 3}.mp4"))
    dialog.export_button.click()
    qtbot.waitUntil(lambda: not dialog.running, timeout=20000)
    assert dialog.result is not None, dialog.status.text()
    qtbot.waitUntil(lambda: dialog.close_button.isVisible())
    for widget in (dialog.preset, dialog.path, dialog.browse_button, dialog.close_button):
        assert _fits(widget), (widget, widget.size(), widget.sizeHint())
    assert dialog.status.height() >= dialog.status.heightForWidth(dialog.status.width())
    assert not dialog.cancel_button.isVisible() and dialog.close_button.isDefault()
    style = dialog.style()
    close_icon = style.standardIcon(QStyle.SP_DialogCloseButton)
    cancel_icon = style.standardIcon(QStyle.SP_DialogCancelButton)
    assert not _same_icon(close_icon, cancel_icon)  # else this test could not tell them apart
    if not dialog.close_button.icon().isNull():  # styles without button icons show none
        assert _same_icon(dialog.close_button.icon(), close_icon)
    with qtbot.waitSignal(dialog.rejected):
        dialog.close_button.click()


def test_a_second_export_click_while_one_runs_is_refused(
    qtbot, recorded_session, runner, tmp_path, monkeypatch
):
    dialog = ExportDialog(recorded_session.store, recorded_session.draft, runner, tmp_path, "small")
    qtbot.addWidget(dialog)
    started = []
    real_start = runner.start
    monkeypatch.setattr(runner, "start", lambda *a, **k: started.append(a) or real_start(*a, **k))
    dialog.export_button.click()
    assert dialog.running and not dialog.export_button.isEnabled()
    dialog._on_export_clicked()  # a click that slipped past the disabled button
    assert len(started) == 1
    qtbot.waitUntil(lambda: not dialog.running, timeout=20000)
    assert not list(tmp_path.glob(".*partial"))


def test_the_default_folder_is_the_users_videos_folder(monkeypatch, tmp_path):
    videos = tmp_path / "Movies here"
    monkeypatch.setattr(
        QStandardPaths,
        "writableLocation",
        lambda kind: str(videos) if kind == QStandardPaths.MoviesLocation else "",
    )
    assert default_export_folder() == videos and videos.is_dir()  # made when missing
    blocker = tmp_path / "a file"
    blocker.write_text("x")
    videos = blocker / "Videos"
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_export_folder() == Path.home()  # cannot be made: home


def test_the_dialog_suggests_the_videos_folder(qtbot, store, runner, monkeypatch, tmp_path):
    videos = tmp_path / "Videos"
    monkeypatch.setattr(QStandardPaths, "writableLocation", lambda kind: str(videos))
    draft = store.create("Beach: day 1")
    dialog = ExportDialog(store, draft, runner)
    qtbot.addWidget(dialog)
    assert Path(dialog.path.text()) == videos / "Beach_ day 1.mp4"
