"""The service host: a service's own settings and context reached typed through its runtime, a
public ``stopping`` its background jobs finish on, and one ``main`` routing every command."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from common.eventstore import EventNames
from common.service import Job, Runtime, ServiceSpec, main
from common.settings import ServiceSettings
from common.testing import started_runtime


class HostSettings(ServiceSettings):
    service_name: str = "host-test"
    greeting: str = "hello"


@dataclass(frozen=True)
class HostContext:
    greeting: str
    finished: list[str] = field(default_factory=list)


HostRuntime = Runtime[HostSettings, HostContext]
built: list[HostRuntime] = []


def build_context(runtime: HostRuntime) -> HostContext:
    built.append(runtime)
    assert runtime.store is not None and runtime.sessions is not None  # broker and database first
    return HostContext(greeting=runtime.settings.greeting)


def background(runtime: HostRuntime) -> list[Job]:
    async def job() -> None:
        await runtime.stopping.wait()
        runtime.context.finished.append("job")  # returned on its own, not cancelled

    return [job]


SPEC = ServiceSpec(name="host-test", build_context=build_context, background=background)


def settings_for(nats_url: str, namespace: str, database_url: str) -> HostSettings:
    return HostSettings(nats_url=nats_url, event_namespace=namespace, database_url=database_url, greeting="nǐ hǎo")


async def test_the_context_is_built_once_typed_and_jobs_stop_on_stopping(
    nats_url: str, event_namespace: str, database_url: str
) -> None:
    built.clear()
    runtime = await started_runtime(SPEC, settings_for(nats_url, event_namespace, database_url))
    try:
        assert built == [runtime]
        assert runtime.context.greeting == "nǐ hǎo"
        assert not runtime.stopping.is_set()
    finally:
        began = time.monotonic()
        await runtime.stop()
    assert runtime.stopping.is_set()
    assert runtime.context.finished == ["job"]
    assert time.monotonic() - began < 2  # not the 5 s the host waits before cancelling a job


def test_the_context_does_not_exist_before_start() -> None:
    runtime = Runtime(settings=HostSettings(), spec=SPEC, names=EventNames("tm"))
    with pytest.raises(RuntimeError, match="built by start"):
        runtime.context  # noqa: B018


async def test_request_stop_sets_stopping_from_the_loop() -> None:
    runtime = Runtime(settings=HostSettings(), spec=SPEC, names=EventNames("tm"))
    runtime.request_stop()  # what the signal handler calls
    await asyncio.wait_for(runtime.stopping.wait(), timeout=1)


def test_main_refuses_an_unknown_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(SPEC, _never, ["rebuilt"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'rebuilt'" in err and "replay-dead-letters" in err


def test_main_refuses_arguments_a_command_does_not_take(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(SPEC, _never, ["serve", "--port", "1"])
    assert exit_.value.code == 2
    assert "unrecognized arguments: --port 1" in capsys.readouterr().err


def test_main_shows_its_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(SPEC, _never, ["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert all(command in out for command in ("serve", "rebuild", "migrate", "replay-dead-letters"))


# Every service's __main__ is common.service.main with its own spec; the gateway has its own.
@pytest.mark.parametrize("service", ["reporting", "gateway"])
def test_python_m_service_help_answers_without_a_broker(service: str) -> None:
    """``--help`` prints the commands and exits 0 at once, with no broker to connect to (a NATS
    URL nobody listens on: a service that tried would wait for it, retrying, until the timeout)."""
    env = dict(os.environ, NATS_URL="nats://127.0.0.1:9", DATABASE_URL="sqlite:////nonexistent/x.db")
    done = subprocess.run(
        [sys.executable, "-m", service, "--help"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: python -m {service}")
    assert "serve" in done.stdout


def test_main_routes_replay_dead_letters_with_its_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(SPEC, HostSettings, ["replay-dead-letters", "--help"])
    assert exit_.value.code == 0
    assert "python -m host-test replay-dead-letters" in capsys.readouterr().out


def test_python_m_service_rebuild(nats_url: str, event_namespace: str, tmp_path: Path) -> None:
    """A real service's ``__main__`` through ``main``: ``rebuild`` replays each of its runners."""
    env = dict(
        os.environ,
        NATS_URL=nats_url,
        EVENT_NAMESPACE=event_namespace,
        DATABASE_URL=f"sqlite:///{tmp_path / 'reporting.db'}",
    )
    done = subprocess.run(
        [sys.executable, "-m", "reporting", "rebuild"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    applied = [line for line in done.stdout.splitlines() if line.endswith("events applied")]
    assert len(applied) == 3, done.stdout  # calls, scheduling and qa feed reporting's figures


def _never() -> HostSettings:
    raise AssertionError("settings are read only for a command that runs")
