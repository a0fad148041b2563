"""Waiting for a quiet host: the streak rule on scripted probe times, and the real probe."""

import argparse
import io

import pytest

from fastmlp.bench import quiet_host
from fastmlp.bench.quiet_host import (
    add_wait_option,
    gather_and_multiply_probe,
    wait_for_quiet,
    wait_if_asked,
)


class Scripted:
    """Probe times from a list, and a clock that advances one second per sleep."""

    def __init__(self, times):
        self.times, self.now, self.probes = list(times), 0.0, 0

    def probe(self):
        self.probes += 1
        return self.times.pop(0)

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def wait(script, timeout=100, **kwargs):
    return wait_for_quiet(timeout, probe=script.probe, clock=script.clock,
                          sleep=script.sleep, **kwargs)


def test_returns_after_a_streak_of_probes_near_the_fastest():
    # 0.10 sets the fastest; 0.20 breaks the first streak; 0.105, 0.100, 0.1055 make one.
    script = Scripted([0.10, 0.104, 0.20, 0.105, 0.100, 0.1055, 0.5])
    line = wait(script, learn=0.0, within=1.06, streak=3)
    assert script.probes == 6
    assert line.startswith("host quiet: waited 5 s, 6 probes; the last 105.0, 100.0, 105.5 ms, "
                           "the fastest 100.0 ms")


def test_a_new_fastest_probe_raises_the_bar_for_the_ones_before_it():
    # 0.120 and 0.121 were within 1.06x of the fastest when they ran, not of 0.100 after
    # them; nor is 0.113: the first three probes within 1.06x of 0.100 are the last three.
    script = Scripted([0.120, 0.121, 0.100, 0.113, 0.101, 0.102, 0.103])
    wait(script, learn=0.0, within=1.06, streak=3)
    assert script.probes == 7


def test_learns_before_any_streak_counts():
    script = Scripted([0.1] * 20)
    line = wait(script, learn=5.0, streak=2)
    assert script.probes == 6 and line.startswith("host quiet: waited 5 s, 6 probes")


def test_gives_up_after_the_timeout_and_says_so():
    script = Scripted([0.1, 0.3] * 10)
    line = wait(script, timeout=4, learn=0.0, streak=2)
    assert script.probes == 5
    assert line.startswith("host NOT found quiet in 4 s, started anyway: waited 4 s, 5 probes")


@pytest.mark.parametrize(("kwargs", "name"), [({"timeout": -1}, "timeout"),
                                              ({"within": 0.9}, "within"),
                                              ({"streak": 0}, "streak")])
def test_refuses_settings_that_could_not_work(kwargs, name):
    settings = {"timeout": 10, **kwargs}
    with pytest.raises(ValueError, match=f"{name}="):
        wait_for_quiet(settings.pop("timeout"), probe=lambda: 0.1, **settings)


def test_the_real_probe_times_its_pass():
    probe = gather_and_multiply_probe()
    seconds = [probe() for _ in range(2)]
    assert all(0 < s < 10 for s in seconds)


def test_the_option_reads_seconds_and_refuses_what_is_not_a_wait(capsys):
    parser = argparse.ArgumentParser()
    add_wait_option(parser)
    assert parser.parse_args([]).wait_quiet == 0.0
    assert parser.parse_args(["--wait-quiet", "90"]).wait_quiet == 90.0
    for text, message in [("-1", "expected seconds >= 0, got '-1'"),
                          ("nan", "expected seconds >= 0, got 'nan'"),
                          ("soon", "expected a number of seconds, got 'soon'")]:
        with pytest.raises(SystemExit):
            parser.parse_args(["--wait-quiet", text])
        assert f"--wait-quiet: {message}" in capsys.readouterr().err


def test_waits_and_reports_only_when_asked(monkeypatch):
    waits = []
    monkeypatch.setattr(quiet_host, "wait_for_quiet",
                        lambda seconds: waits.append(seconds) or "host quiet: (scripted)")
    out = io.StringIO()
    wait_if_asked(0.0, out=out)
    assert waits == [] and out.getvalue() == ""
    wait_if_asked(12.0, out=out)
    assert waits == [12.0] and out.getvalue() == "# host quiet: (scripted)\n"
