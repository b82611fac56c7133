"""The main window shell: empty state for a new user, drafts when there are some."""

from reeleditor.ui.main_window import MainWindow


def test_empty_state_guides_a_new_user(qtbot, store):
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()
    assert window.stack.currentWidget() is window.empty_label
    assert "No drafts yet" in window.empty_label.text()


def test_drafts_are_listed_and_problems_shown(qtbot, store):
    store.create("First reel")
    bad = store.create("bad")
    (store.folder(bad.id) / "draft.json").write_text("")
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()
    assert window.drafts_list.count() == 1
    assert "First reel" in window.drafts_list.item(0).text()
    assert bad.id in window.statusBar().currentMessage()
