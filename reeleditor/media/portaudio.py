"""One lock for PortAudio's stream open, start, stop and close, which are not thread-safe.

The microphone (media/microphone.py) and the sound out (media/sound_out.py) open their
streams from different threads, and recording with music playing opens both at once.
"""

from __future__ import annotations

import threading

LOCK = threading.Lock()
