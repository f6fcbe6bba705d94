"""The window hears what another process writes to its library (the CLI, a second window, the trainer).

Found in a real window: with `faceapp add-face` / `faceapp name` run beside the GUI, the People page kept
showing the old people until the user did something of their own in the window."""

from __future__ import annotations

import subprocess
import sys

from faceapp.gui import services


def _names(window) -> set:
    m = window.people.model
    return {m.person_at(r).name for r in range(m.rowCount())}


def test_a_name_given_from_the_command_line_shows_in_the_open_window(qtbot, window, settle, grouped_sample):
    window.show_view("People")
    settle(window)
    target = max(services.list_people(window.ctx.db), key=lambda p: p.faces)
    assert "Grandma" not in _names(window)
    subprocess.run([sys.executable, "-m", "faceapp", "name", "--db", str(grouped_sample), str(target.id), "Grandma"],
                   check=True, capture_output=True, timeout=120)
    qtbot.waitUntil(lambda: "Grandma" in _names(window), timeout=10_000)


def test_the_windows_own_actions_are_not_heard_twice(qtbot, window, settle):
    window.show_view("People")
    settle(window)
    heard = []
    window.ctx.changed.connect(heard.append)
    target = max(services.list_people(window.ctx.db), key=lambda p: p.faces)
    window.ctx.act(services.rename, target.id, "Zoe")
    qtbot.waitUntil(lambda: "Zoe" in _names(window), timeout=10_000)
    qtbot.wait(3000)  # several polls of the library's version
    assert heard == ["people"]


def test_a_model_imported_from_the_command_line_shows_on_the_improve_page(qtbot, window, settle, grouped_sample,
                                                                          tmp_path):
    from stand_in_model import stand_in  # tests/ is on sys.path: it holds conftest.py

    view = window.show_view("Improve recognition")
    settle(window)

    def listed() -> list[str]:
        return [view.models.itemText(i) for i in range(view.models.count())]

    assert not any("sface-from-cli" in t for t in listed())
    model = stand_in(tmp_path / "cli.onnx", "sface-from-cli")
    subprocess.run([sys.executable, "-m", "faceapp", "models", "import", "--db", str(grouped_sample), str(model)],
                   check=True, capture_output=True, timeout=120)
    qtbot.waitUntil(lambda: any("sface-from-cli" in t for t in listed()), timeout=10_000)
