"""Process life: exit flushes for at most 2 s, fork restarts the sender, shutdown prints nothing."""

import os
import subprocess
import sys
import textwrap
import time

import pytest

SDK_PATH = os.path.join(os.path.dirname(__file__), "..", "..", "sdk")


def run_script(code: str, timeout: float = 20.0):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([os.path.abspath(SDK_PATH), env.get("PYTHONPATH", "")])
    env.pop("TRACEHOUND_DSN", None)
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=timeout, env=env
    )
    return proc, time.monotonic() - started


def test_exit_flushes_pending_events(server):
    proc, _ = run_script(
        f"""
        import logging, tracehound
        logger = logging.getLogger("app")
        logger.addHandler(tracehound.Handler(dsn={server.dsn!r}))
        for i in range(5):
            logger.error("sent at exit %d", i)
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    server.wait_for_requests(5, timeout=2)
    assert sorted(e["logentry"]["formatted"] for e in server.events()) == [f"sent at exit {i}" for i in range(5)]


def test_exit_with_a_hanging_server_waits_at_most_two_seconds(black_hole):
    proc, elapsed = run_script(
        f"""
        import logging, time, tracehound
        logger = logging.getLogger("app")
        logger.addHandler(tracehound.Handler(dsn={black_hole.dsn!r}, timeout=30))
        for i in range(50):
            try:
                raise ValueError(i)
            except ValueError:
                logger.exception("stuck")
        time.sleep(0.2)  # the sender is now blocked on the black hole
        import sys; sys.stdout.write("started\\n"); sys.stdout.flush()
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "started\n"
    assert proc.stderr == ""  # no traceback from the daemon thread at interpreter shutdown
    assert elapsed < 2.0 + 2.5  # interpreter start-up plus the 2 s cap
    assert len(black_hole.accepted) == 1


def test_shutdown_while_sending_prints_no_traceback(server):
    # Exiting with the sender busy and events still queued, many times: nothing on stderr.
    for _ in range(3):
        proc, _ = run_script(
            f"""
            import tracehound
            tracehound.init(dsn={server.dsn!r}, shutdown_timeout=0.01)
            for i in range(100):
                tracehound.capture_message("m%d" % i)
            """
        )
        assert proc.returncode == 0
        assert proc.stderr == ""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_fork_restarts_the_sender_in_the_child(server):
    proc, _ = run_script(
        f"""
        import os, sys, tracehound
        client = tracehound.init(dsn={server.dsn!r})
        tracehound.capture_message("from parent")
        assert client.flush(5)
        parent_thread = client.transport._thread
        pid = os.fork()
        if pid == 0:
            tracehound.capture_message("from child")
            ok = client.flush(5) and client.transport._thread is not parent_thread
            os._exit(0 if ok else 3)
        _, status = os.waitpid(pid, 0)
        tracehound.capture_message("from parent again")
        assert client.flush(5)
        sys.exit(os.waitstatus_to_exitcode(status))
        """
    )
    assert proc.returncode == 0, proc.stderr
    server.wait_for_requests(3)
    assert sorted(e["logentry"]["message"] for e in server.events()) == [
        "from child",
        "from parent",
        "from parent again",
    ]


def test_multiprocessing_fork_children_report(server):
    proc, _ = run_script(
        f"""
        import multiprocessing, tracehound
        tracehound.init(dsn={server.dsn!r})
        tracehound.capture_message("parent")

        def work(n):
            tracehound.capture_message("worker %d" % n)
            return tracehound.flush(5)

        if __name__ == "__main__":
            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(2) as pool:
                assert all(pool.map(work, range(4)))
        """
    )
    assert proc.returncode == 0, proc.stderr
    server.wait_for_requests(5)
    assert sorted(e["logentry"]["message"] for e in server.events()) == ["parent"] + [f"worker {n}" for n in range(4)]
