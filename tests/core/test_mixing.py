"""Pure audio math in core/: waveform bars."""

import numpy as np

from reeleditor.core.mixing import peak_bars


def test_peak_bars_keep_the_loudest_of_each_run():
    peaks = np.array([0.1, 0.9, 0.2, 0.3, 0.0, 0.5], np.float32)
    assert peak_bars(peaks, 3).tolist() == np.float32([0.9, 0.3, 0.5]).tolist()
    assert peak_bars(peaks, 1).tolist() == [np.float32(0.9)]
    assert len(peak_bars(peaks, 100)) == 100  # wider than the song: bars repeat, none fail
    assert peak_bars(np.zeros(0), 10).size == 0 and peak_bars(peaks, 0).size == 0
