"""The start-up progress line of `fleetreport serve`: rewritten in place on a terminal, one plain line
per step into a pipe, and nothing left behind on the terminal once the banner is due."""

from __future__ import annotations

import io

from fleetreport_local.progress import StartupProgress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_each_step_and_detail_rewrites_the_one_line_and_finish_erases_it() -> None:
    out = Terminal()
    progress = StartupProgress(out, total=3)
    progress.advance("seeding report groups")
    progress.detail("2026-05-01 (12/400 reports)")
    progress.advance("listening")
    progress.finish()
    text = out.getvalue()
    assert "\n" not in text
    frames = text.split("\r\x1b[K")[1:]
    assert [frame.split(" (")[0] for frame in frames[:3]] == [
        "starting: [1/3] seeding report groups",
        "starting: [1/3] seeding report groups: 2026-05-01",
        "starting: [2/3] listening",
    ]
    assert frames[-1] == ""  # the line is cleared for the banner


def test_into_a_pipe_each_step_is_one_plain_line_and_details_are_left_out() -> None:
    out = io.StringIO()
    progress = StartupProgress(out, total=2)
    progress.advance("starting the embedded moto server")
    progress.detail("ignored in a pipe")
    progress.advance("listening on http://127.0.0.1:3000")
    progress.finish()
    lines = out.getvalue().splitlines()
    assert [line.rsplit(" (", 1)[0] for line in lines] == [
        "starting: [1/2] starting the embedded moto server",
        "starting: [2/2] listening on http://127.0.0.1:3000",
    ]
    assert all(line.endswith("s)") for line in lines)  # elapsed seconds
    assert "\r" not in out.getvalue() and "\x1b" not in out.getvalue()
