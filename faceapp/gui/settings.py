"""Settings that matter, kept in QSettings (an INI file in the faceapp data dir, so tests and
several libraries never share the platform registry)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path

from PySide6.QtCore import QSettings

from faceapp import paths
from faceapp.types import Device


@dataclass
class AppSettings:
    db_path: str = ""  # empty: the default library in the user data dir
    det_size: int = 640  # long side the detector sees
    det_threshold: float = 0.7
    strictness: float = 0.5  # clustering: 0 lenient (bigger people) … 1 strict (more, purer people)
    device: Device = "auto"

    def library_path(self) -> Path:
        return Path(self.db_path) if self.db_path else paths.default_db()


def qsettings() -> QSettings:
    return QSettings(str(paths.data_dir() / "gui.ini"), QSettings.Format.IniFormat)


def load_settings() -> AppSettings:
    qs = qsettings()
    out = AppSettings()
    for f in fields(AppSettings):
        raw = qs.value(f"settings/{f.name}")
        if raw is None:
            continue
        try:
            setattr(out, f.name, type(getattr(out, f.name))(raw))
        except (TypeError, ValueError):
            pass  # a hand-edited bad value falls back to the default
    return out


def save_settings(s: AppSettings) -> None:
    qs = qsettings()
    for k, v in asdict(s).items():
        qs.setValue(f"settings/{k}", v)
    qs.sync()
