"""A ``fixdesk`` command starts with Python's garbage collector paused while it loads the domains, and
resumes it once they are loaded, with what they built frozen out of its sight (``fixdesk.cli``). A
collector left paused would let a long-running server or worker keep every reference cycle it ever made.
The check runs in a child process: freezing is for the process's lifetime."""

from __future__ import annotations

from tests.support.child import run_script

SCRIPT = """
import gc, json
from fixdesk import cli

paused_by_main = []
cli.app = lambda: paused_by_main.append(not gc.isenabled())  # main() without running a command
cli.main()
cli._settings()
print(json.dumps({
    "paused_by_main": paused_by_main == [True],
    "enabled_after_loading": gc.isenabled(),
    "frozen": gc.get_freeze_count(),
}))
"""


def test_a_command_pauses_the_collector_until_the_domains_are_loaded(tmp_path) -> None:
    state = run_script(SCRIPT, FIXDESK_DATA_DIR=str(tmp_path / "data"))

    assert state["paused_by_main"]
    assert state["enabled_after_loading"]
    # The modules, models and routes the domains made are out of the collector's sight.
    assert state["frozen"] > 100_000
