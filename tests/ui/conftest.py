"""Shared GUI test pieces: a runner that is shut down, a session on a recorded draft."""

import pytest

from reeleditor.ui.session import DraftSession
from reeleditor.ui.workers import TaskRunner
from tests.media.helpers import record_takes

W, H = 180, 320


@pytest.fixture
def runner(qtbot):
    runner = TaskRunner()
    yield runner
    runner.shutdown()


def record(store, draft_id, seconds_each=(0.5, 0.4)):
    record_takes(store, draft_id, seconds_each, W, H, 30)


@pytest.fixture
def recorded_session(store, runner):
    draft = store.create("recorded", width=W, height=H)
    record(store, draft.id)
    store.release(draft.id)
    session = DraftSession(store, runner)
    session.open(draft.id)
    yield session
    session.close()
