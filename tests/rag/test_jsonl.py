"""JSONL export: records that LangChain's Document and LlamaIndex's TextNode load directly."""
from __future__ import annotations

import importlib.util
import io
import json

import pytest
from click.testing import CliRunner

from coe_framework.cli.main import cli
from coe_framework.outputs.rag.collect import Document, to_record, write_jsonl

SAMPLE = Document(
    id="d1", kind="code", text="def f():\n    return 1\n",
    metadata={"document_id": "d1", "kind": "code", "path": "a.py", "line_start": 1, "line_end": 2},
    plugin="ast", key="k", embedding=[0.5, 0.25],
)


def _export(stored_three, *args: str) -> list[dict]:
    result = CliRunner().invoke(cli, ["rag", "export", str(stored_three.analysis_id), *args], env={"COE_DATABASE_URL": stored_three.url})
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_record_layouts() -> None:
    assert to_record(SAMPLE, "langchain") == {"id": "d1", "page_content": SAMPLE.text, "metadata": SAMPLE.metadata}
    assert to_record(SAMPLE, "llamaindex") == {"id_": "d1", "text": SAMPLE.text, "metadata": SAMPLE.metadata, "embedding": [0.5, 0.25]}
    both = to_record(SAMPLE)
    assert both["page_content"] == both["text"] and both["id"] == both["id_"] == "d1"
    with pytest.raises(ValueError, match="unknown record layout"):
        to_record(SAMPLE, "csv")
    handle = io.StringIO()
    assert write_jsonl([SAMPLE, SAMPLE.to_dict()], handle) == 2
    assert [json.loads(line) for line in handle.getvalue().splitlines()] == [both, both]


def test_exported_jsonl_loads_as_langchain_documents(stored_three) -> None:
    from langchain_core.documents import Document as LangChainDocument

    records = _export(stored_three)
    loaded = [LangChainDocument(**record) for record in records]
    assert loaded and all(doc.page_content and doc.metadata["repository_url"] for doc in loaded)
    assert [doc.id for doc in loaded] == [r["id"] for r in records]
    assert {doc.metadata["kind"] for doc in loaded} >= {"overview", "techspec", "git_summary", "code", "docs"}


def test_exported_jsonl_loads_as_llamaindex_text_nodes(stored_three) -> None:
    records = _export(stored_three)
    # The shape TextNode(**record) needs: id_, text, metadata (checked even without llama-index-core).
    assert all(isinstance(r["id_"], str) and isinstance(r["text"], str) and isinstance(r["metadata"], dict) for r in records)
    if importlib.util.find_spec("llama_index") is None or importlib.util.find_spec("llama_index.core") is None:
        pytest.skip("llama-index-core is not installed (it is not in the test extra: its dependency dataclasses-json pins marshmallow<4, which APIFlask's flask-marshmallow refuses)")
    from llama_index.core.schema import TextNode

    nodes = [TextNode(**record) for record in records]
    assert [n.node_id for n in nodes] == [r["id_"] for r in records]
    assert all(n.text == r["text"] and n.metadata == r["metadata"] for n, r in zip(nodes, records))


def test_export_filters_and_writes_a_file(stored_three, tmp_path) -> None:
    code = _export(stored_three, "--kind", "code", "--path", "app.py", "--format", "langchain")
    assert code and {r["metadata"]["path"] for r in code} == {"app.py"} and {r["metadata"]["kind"] for r in code} == {"code"}
    assert all(set(r) == {"id", "page_content", "metadata"} for r in code)
    target = tmp_path / "docs.jsonl"
    result = CliRunner().invoke(cli, ["rag", "export", str(stored_three.analysis_id), "--output", str(target)], env={"COE_DATABASE_URL": stored_three.url})
    assert result.exit_code == 0, result.output
    assert len(target.read_text().splitlines()) == len(_export(stored_three))


def test_unknown_analysis_is_one_line_error(stored_three) -> None:
    result = CliRunner().invoke(cli, ["rag", "export", "9999"], env={"COE_DATABASE_URL": stored_three.url})
    assert result.exit_code == 2
    assert result.stderr.strip() == "coe: error: analysis 9999 does not exist"
