"""A private sandbox for the benchmarks: its own port on 127.0.0.1, a log line per AWS request, its CPU time."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sandbox import clients

# werkzeug's request log line: "GET /bucket?versioning HTTP/1.1" (coloured on a terminal)
LOG_LINE = re.compile(r'"(?:\x1b\[[0-9;]*m)?([A-Z]+) (\S+) HTTP/1\.1')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LoggedSandbox:
    """``python -m sandbox serve --verbose`` on a free port, logging to a temporary file; :meth:`stop` ends it."""

    def __init__(self, prefix: str = "bench-") -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log = Path(tempfile.mkstemp(prefix=prefix, suffix=".log")[1])
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sandbox", "serve", "--port", str(self.port), "--verbose"],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("w"),
        )
        for _attempt in range(240):
            try:
                clients.client(self.endpoint, "s3").list_buckets()
                return
            except Exception:  # not up yet
                time.sleep(0.5)
        self.stop()
        raise SystemExit(f"the sandbox did not start on {self.endpoint}; its log: {self.log}")

    def requests(self) -> list[str]:
        """``METHOD ?subresource`` of every AWS request logged so far (the sandbox's control requests excluded)."""
        out = []
        for line in self.log.read_text(errors="replace").splitlines():
            match = LOG_LINE.search(line)
            if not match or match.group(2).startswith("/_sandbox/"):
                continue
            path, _sep, query = match.group(2).partition("?")
            sub = query.split("=")[0].split("&")[0] if query else ("(service)" if path == "/" else "(bucket)")
            out.append(f"{match.group(1)} {sub}")
        return out

    def cpu(self) -> float:
        """CPU seconds the server process has used (user + system)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
