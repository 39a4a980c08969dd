"""`qa mcp` as an MCP client that we did not write drives it: the server started as a subprocess and
talked to over stdio by the official SDK's own client."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp_types import CallToolResult

from config.errors import EmptyQuestion
from config.settings import PROJECT_ROOT, SETTINGS_FILE, Settings

QA = str(Path(sys.executable).with_name("qa"))


def server(*args: str, cwd: Path) -> StdioServerParameters:
    """`qa mcp ARGS` in `cwd`, with the project's settings file (its calibrated abstain threshold) and
    this test's folders: the client passes on little else of the environment."""
    keep = ("XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "HF_HUB_OFFLINE", "HOME", "PATH")
    return StdioServerParameters(command=QA, args=["mcp", *args], cwd=cwd,
                                 env={"QA_SETTINGS": str(SETTINGS_FILE),
                                      **{name: os.environ[name] for name in keep if name in os.environ}})


def text_of(result: CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


def run(parameters: StdioServerParameters, scenario: Any) -> None:
    async def session() -> None:
        async with Client(parameters, read_timeout_seconds=300) as client:
            await scenario(client)

    anyio.run(session)


def test_an_mcp_client_asks_shows_lists_and_gets_errors(corpus_settings: Settings, tmp_path: Path) -> None:
    async def scenario(client: Client) -> None:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert set(tools) == {"ask", "show", "sources"}  # read-only: no ingest without --allow-ingest
        assert tools["ask"].annotations.read_only_hint

        asked = await client.call_tool("ask", {"question": "when were talks suspended?"})
        assert not asked.is_error
        answer = asked.structured_content
        assert answer["abstained"] is False
        first = answer["passages"][0]
        assert first["source"].endswith("2014-07-voa-us-committed-to-legal-cuban-migration.txt")
        text = (tmp_path / first["source"]).resolve().read_text(encoding="utf-8")
        assert text[first["start"] : first["end"]] == first["text"]  # the citation checks
        assert text[first["answer"]["start"] : first["answer"]["end"]] == "2003"
        assert first["citation"] == f"{first['source']}:{first['line']}" and first["date"] == "2014-07"
        assert "**2003**" in text_of(asked) and first["citation"] in text_of(asked)

        shown = await client.call_tool("show", {"citation": first["citation"]})
        assert not shown.is_error and "suspended in 2003" in shown.structured_content["cited"]
        assert text_of(shown).splitlines()[0].startswith(first["source"])

        unanswerable = await client.call_tool("ask", {"question": "what is the capital of France?"})
        assert unanswerable.structured_content["abstained"] is True
        reason = unanswerable.structured_content["reason"]
        assert reason.startswith("The documents do not answer this: no document mentions “France”")
        assert text_of(unanswerable).startswith("The documents do not answer this")

        empty = await client.call_tool("ask", {"question": "  ?  "})
        assert empty.is_error and text_of(empty) == str(EmptyQuestion())
        wrong = await client.call_tool("show", {"citation": "nowhere.txt:3"})
        assert wrong.is_error and text_of(wrong).startswith("nowhere.txt is not in the index at ")

        listed = (await client.call_tool("sources", {})).structured_content["documents"]
        assert len(listed) == 5 and {d["format"] for d in listed} == {"text"}
        assert sorted(d["date"] for d in listed)[0] == "2010"

    run(server("--index", corpus_settings.index, cwd=tmp_path.parent.parent), scenario)


def test_with_allow_ingest_an_agent_builds_the_index_it_then_asks(tmp_path: Path) -> None:
    index = tmp_path / "index"
    corpus = tmp_path / "corpus"
    shutil.copytree(PROJECT_ROOT / "corpus", corpus)

    async def scenario(client: Client) -> None:
        assert "ingest" in {tool.name for tool in (await client.list_tools()).tools}
        before = await client.call_tool("ask", {"question": "when were talks suspended?"})
        assert before.is_error and text_of(before).startswith(f"no index at {index}: build it with")
        built = await client.call_tool("ingest", {"paths": [str(corpus)]})
        assert not built.is_error and built.structured_content["added"] == 5
        after = await client.call_tool("ask", {"question": "when were talks suspended?", "top_k": 1})
        assert not after.is_error and len(after.structured_content["passages"]) == 1
        assert "2003" in after.structured_content["passages"][0]["text"]

    run(server("--index", str(index), "--allow-ingest", cwd=tmp_path), scenario)
