"""A bare PySide6 window, frozen beside the app as the start-up baseline (benchmarks/startup.py).

Prints 'main window shown <time.monotonic()>' after its first paint and quits, as
`reeleditor --startup-probe` does.
"""

import sys
import time

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow


class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and not self.property("seen"):
            self.setProperty("seen", True)
            QTimer.singleShot(0, shown)  # after the paint this event starts
        return False


def shown() -> None:
    print(f"main window shown {time.monotonic():.6f}", flush=True)
    app.quit()


app = QApplication(sys.argv)
window = QMainWindow()
window.setWindowTitle("bare")
window.resize(1280, 860)
probe = FirstPaint(window)
window.installEventFilter(probe)
window.show()
sys.exit(app.exec())
