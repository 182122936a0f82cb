"""Exceptions and stack frames.

Split in two on purpose. ``capture_exception_chain`` runs on the caller's thread and copies only what
would be lost once the frames move on: names, line numbers and locals (as capped copies). It keeps no
reference to frames or tracebacks. ``finish_frames`` runs on the background thread and adds what can be
computed later: relative filenames, ``in_app`` and source context lines (read through ``linecache``).
"""

from __future__ import annotations

import linecache
import os
import sys
import sysconfig

from .consts import (
    CONTEXT_LINES,
    MAX_CHAIN,
    MAX_CONTEXT_LINE_LENGTH,
    MAX_FRAMES,
    MAX_MESSAGE_LENGTH,
)
from .serialize import capture_locals, safe_repr


def _exception_value(exc) -> str:
    try:
        text = str(exc)
    except BaseException:
        text = safe_repr(exc)
    if type(text) is not str:
        return "<unprintable>"
    return text if len(text) <= MAX_MESSAGE_LENGTH else text[:MAX_MESSAGE_LENGTH] + "..."


def capture_frames(tb, include_locals: bool = True) -> list:
    entries = []
    while tb is not None:
        entries.append((tb.tb_frame, tb.tb_lineno))
        tb = tb.tb_next
    if len(entries) > MAX_FRAMES:
        half = MAX_FRAMES // 2
        entries = entries[:half] + entries[-half:]
    frames = []
    for frame, lineno in entries:
        code = frame.f_code
        data = {
            "abs_path": code.co_filename,
            "function": code.co_name,
            "module": frame.f_globals.get("__name__"),
            "lineno": lineno,
        }
        if include_locals:
            data["vars"] = capture_locals(frame.f_locals)
        frames.append(data)
    del entries
    return frames


def capture_exception_chain(exc, include_locals: bool = True) -> list:
    """Return Sentry ``exception.values`` for ``exc`` and its causes, oldest first."""
    values = []
    seen = set()
    while exc is not None and id(exc) not in seen and len(values) < MAX_CHAIN:
        seen.add(id(exc))
        cls = type(exc)
        values.append(
            {
                "type": getattr(cls, "__name__", "Exception"),
                "module": getattr(cls, "__module__", None),
                "value": _exception_value(exc),
                "stacktrace": {"frames": capture_frames(exc.__traceback__, include_locals)},
            }
        )
        cause = exc.__cause__
        if cause is None and not exc.__suppress_context__:
            cause = exc.__context__
        exc = cause
    values.reverse()
    return values


def _library_roots() -> tuple:
    roots = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        try:
            path = sysconfig.get_paths().get(key)
        except Exception:
            path = None
        if path:
            roots.add(os.path.realpath(path) + os.sep)
            roots.add(os.path.abspath(path) + os.sep)
    for path in (sys.prefix, sys.base_prefix, sys.exec_prefix):
        roots.add(os.path.join(os.path.abspath(path), "lib") + os.sep)
    return tuple(sorted(roots))


class InApp:
    """Decides ``in_app`` per frame: module prefixes first, then the path (installed packages and the
    standard library are not the project's code)."""

    def __init__(self, include=(), exclude=()):
        self.include = tuple(include or ())
        self.exclude = tuple(exclude or ()) + ("tracehound",)
        self.library_roots = _library_roots()
        self._cache: dict = {}

    @staticmethod
    def _matches(module, prefixes) -> bool:
        return any(module == p or module.startswith(p + ".") for p in prefixes)

    def __call__(self, module, abs_path) -> bool:
        key = (module, abs_path)
        try:
            return self._cache[key]
        except KeyError:
            pass
        if module and self._matches(module, self.include):
            result = True
        elif module and self._matches(module, self.exclude):
            result = False
        elif not abs_path or abs_path.startswith("<"):
            result = False  # code without a file: <string>, <frozen ...>
        else:
            installed = "site-packages" in abs_path or "dist-packages" in abs_path
            result = not installed and not abs_path.startswith(self.library_roots)
        if len(self._cache) > 10000:
            self._cache.clear()
        self._cache[key] = result
        return result


def _relative_filename(module, abs_path) -> str:
    if module and abs_path and not abs_path.startswith("<"):
        base = module.split(".")[0]
        marker = os.sep + base + os.sep
        index = abs_path.rfind(marker)
        if index >= 0:
            return abs_path[index + 1 :]
        name = module.replace(".", os.sep)
        ext = os.path.splitext(abs_path)[1] or ".py"
        if abs_path.endswith(name + ext):
            return name + ext
    return abs_path


def _line(text: str) -> str:
    text = text.rstrip("\r\n")
    return text if len(text) <= MAX_CONTEXT_LINE_LENGTH else text[:MAX_CONTEXT_LINE_LENGTH] + "..."


def finish_frames(frames: list, in_app: InApp, context_lines: int = CONTEXT_LINES) -> None:
    for frame in frames:
        abs_path = frame.get("abs_path")
        module = frame.get("module")
        frame["filename"] = _relative_filename(module, abs_path)
        frame["in_app"] = in_app(module, abs_path)
        lineno = frame.get("lineno")
        if not context_lines or not abs_path or not lineno or abs_path.startswith("<"):
            continue
        try:
            lines = linecache.getlines(abs_path)
        except Exception:
            lines = None
        if not lines or lineno > len(lines):
            continue
        i = lineno - 1
        frame["pre_context"] = [_line(x) for x in lines[max(0, i - context_lines) : i]]
        frame["context_line"] = _line(lines[i])
        frame["post_context"] = [_line(x) for x in lines[i + 1 : i + 1 + context_lines]]
