"""Shared GUI test pieces: a runner that is shut down, a session on a recorded draft."""

import pytest

from reeleditor.media.sources.testpattern import TestPatternSource
from reeleditor.media.take import record_take
from reeleditor.ui.session import DraftSession
from reeleditor.ui.workers import TaskRunner

W, H = 180, 320


@pytest.fixture
def runner(qtbot):
    runner = TaskRunner()
    yield runner
    runner.shutdown()


def record(store, draft_id, seconds_each=(0.5, 0.4)):
    source = TestPatternSource(W, H, 30).open()
    try:
        for seconds in seconds_each:
            for _ in record_take(store, draft_id, source, source.audio, seconds):
                pass
    finally:
        source.close()


@pytest.fixture
def recorded_session(store, runner):
    draft = store.create("recorded", width=W, height=H)
    record(store, draft.id)
    store.release(draft.id)
    session = DraftSession(store, runner)
    session.open(draft.id)
    yield session
    session.close()
