"""placeholder"""

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class ImproveView(QWidget):
    def __init__(self, ctx, thumbs, parent=None):
        super().__init__(parent)
        QVBoxLayout(self).addWidget(QLabel("ImproveView"))
