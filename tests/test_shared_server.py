"""The safe way to share an index: `chroma run` on 127.0.0.1 behind a reverse proxy (nginx, from
Debian) that lets through only requests carrying the team's token. Chroma 1.x has no auth of
its own; `qa` sends the token from QA_CHROMA_TOKEN."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from config.settings import PROJECT_ROOT, Settings
from index.ingest import ingest
from qa.engine import Assistant
from tests.conftest import CORPUS
from tests.test_server import chroma_server, free_port  # noqa: F401  (a fixture used below)

NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).is_file()), None)
TOKEN = "team-token-3f9a"
CONFIG = """
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log;
events {{}}
http {{
  access_log off;
  client_max_body_size 0;            # chunk batches run to megabytes
  client_body_temp_path {root}/body;
  proxy_temp_path {root}/proxy;
  proxy_request_buffering off;       # stream both ways: the workers (user nobody) need no temp files
  proxy_buffering off;
  server {{
    listen 127.0.0.1:{port};
    location / {{
      if ($http_authorization != "Bearer {token}") {{ return 401; }}
      proxy_pass {upstream};
    }}
  }}
}}
"""


@pytest.fixture
def token_proxy(chroma_server: str, tmp_path: Path) -> Iterator[str]:  # noqa: F811
    """nginx on 127.0.0.1 in front of the Chroma server, refusing requests without the token."""
    if NGINX is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light; .ci/run installs it)")
    root, port = tmp_path / "nginx", free_port()
    root.mkdir()
    (root / "nginx.conf").write_text(CONFIG.format(root=root, port=port, token=TOKEN, upstream=chroma_server))
    process = subprocess.Popen([NGINX, "-c", str(root / "nginx.conf"), "-p", str(root), "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 20
        while _status(f"{url}/api/v2/heartbeat") is None:
            if time.time() > deadline or process.poll() is not None:
                pytest.fail(f"nginx did not start: {(root / 'error.log').read_text(errors='replace')}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _status(url: str, token: str | None = None) -> int | None:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return None


def test_a_shared_index_behind_a_token_proxy_answers_the_team_and_refuses_everyone_else(
    token_proxy: str, encoder, assistant: Assistant  # type: ignore[no-untyped-def]
) -> None:
    # a raw request without the token gets nothing: no collections listed, no text read
    assert _status(f"{token_proxy}/api/v2/tenants/default_tenant/databases/default_database/collections") == 401
    assert _status(f"{token_proxy}/api/v2/heartbeat", TOKEN) == 200

    shared = Settings(index=token_proxy, chroma_token=TOKEN)
    assert len(ingest([CORPUS], shared, encoder).added) == 5
    question = "when were talks suspended?"
    served = Assistant.open(shared, encoder).ask(question)
    local = assistant.ask(question)
    assert [(p.citation, p.text) for p in served.passages] == [(p.citation, p.text) for p in local.passages]

    # `qa` without the token, or with a wrong one: one line that says what to do
    for token, advice in (("", "set QA_CHROMA_TOKEN to the team's token"), ("wrong", "check QA_CHROMA_TOKEN")):
        result = subprocess.run([sys.executable, "-m", "qa.cli", "ask", question, "--index", token_proxy],
                                capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300,
                                env={**os.environ, "QA_CHROMA_TOKEN": token})
        assert result.returncode != 0 and "Traceback" not in result.stderr
        assert result.stderr.strip() == (f"qa: Chroma server {token_proxy} refused the request (401 Unauthorized): "
                                         f"{advice}")
