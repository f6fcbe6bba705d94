"""How the app looks: round person avatars, sidebar icons, and the system's light or dark palette.

The palette follows the desktop (Qt reads the colour scheme from the platform theme: GNOME, KDE,
Windows and macOS report dark mode); FACEAPP_THEME=light|dark overrides it, for a desktop Qt can't
read and for tests. Dark uses Fusion with a dark palette, as the platform styles of Linux desktops
without a Qt theme stay light.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPainterPath, QPalette, QPixmap
from PySide6.QtWidgets import QApplication, QStyle

# sidebar entry -> (freedesktop icon name, the style's own icon when the theme has none)
SIDEBAR_ICONS = {
    "Library": ("folder-pictures", QStyle.StandardPixmap.SP_DirIcon),
    "People": ("system-users", QStyle.StandardPixmap.SP_FileDialogListView),
    "Photos": ("image-x-generic", QStyle.StandardPixmap.SP_FileDialogContentsView),
    "Review": ("dialog-question", QStyle.StandardPixmap.SP_MessageBoxQuestion),
    "Verify": ("edit-find", QStyle.StandardPixmap.SP_DialogApplyButton),
    "Improve recognition": ("system-run", QStyle.StandardPixmap.SP_BrowserReload),
    "Export": ("document-save-as", QStyle.StandardPixmap.SP_DialogSaveButton),
}


def sidebar_icon(title: str) -> QIcon:
    name, fallback = SIDEBAR_ICONS.get(title, ("", QStyle.StandardPixmap.SP_FileIcon))
    themed = QIcon.fromTheme(name) if name else QIcon()
    return themed if not themed.isNull() else QApplication.style().standardIcon(fallback)


def round_pixmap(pm: QPixmap) -> QPixmap:
    """The picture in a circle (a person's avatar, as photo apps show people); corners transparent."""
    side = min(pm.width(), pm.height())
    out = QPixmap(side, side)
    out.fill(Qt.GlobalColor.transparent)
    if side == 0:
        return out
    painter = QPainter(out)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    path = QPainterPath()
    path.addEllipse(QRectF(0, 0, side, side))
    painter.setClipPath(path)
    painter.drawPixmap(0, 0, pm, (pm.width() - side) // 2, (pm.height() - side) // 2, side, side)
    painter.end()
    return out


def wants_dark() -> bool:
    theme = os.environ.get("FACEAPP_THEME", "").lower()
    if theme in ("light", "dark"):
        return theme == "dark"
    hints = QGuiApplication.styleHints()
    return hasattr(hints, "colorScheme") and hints.colorScheme() == Qt.ColorScheme.Dark


def dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor(30, 30, 32), QColor(45, 45, 48), QColor(230, 230, 230)
    for role, colour in ((QPalette.ColorRole.Window, window), (QPalette.ColorRole.WindowText, text),
                         (QPalette.ColorRole.Base, base), (QPalette.ColorRole.AlternateBase, window),
                         (QPalette.ColorRole.Text, text), (QPalette.ColorRole.Button, window),
                         (QPalette.ColorRole.ButtonText, text), (QPalette.ColorRole.ToolTipBase, base),
                         (QPalette.ColorRole.ToolTipText, text), (QPalette.ColorRole.Highlight, QColor(53, 132, 228)),
                         (QPalette.ColorRole.HighlightedText, QColor(255, 255, 255)),
                         (QPalette.ColorRole.PlaceholderText, QColor(150, 150, 150)),
                         (QPalette.ColorRole.Link, QColor(120, 170, 255))):
        p.setColor(role, colour)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(120, 120, 120))
    return p


def apply_palette(app: QApplication) -> bool:
    """Dark when the desktop (or FACEAPP_THEME) asks for it; returns whether dark was applied."""
    if not wants_dark():
        return False
    app.setStyle("Fusion")
    app.setPalette(dark_palette())
    return True
