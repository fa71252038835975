"""The export format registry: the framework's formats, a plugin's, and bad registrations."""
from __future__ import annotations

import pytest

from coe_framework.outputs.formats import ExportError, ExportFormat, ExportOption, UnknownFormat
from coe_framework.outputs.registry import export_formats, get_format
from coe_framework.plugin.manager import create_manager

from .export_plugin import AuthorsExportPlugin


def test_builtin_and_plugin_formats_are_attributed() -> None:
    manager = create_manager(env={}, extra_plugins=[("authors", AuthorsExportPlugin())])
    formats = export_formats(manager)
    assert {"sarif", "markdown", "rag", "cyclonedx", "authors-csv"} <= set(formats)
    assert {formats[n].plugin for n in ("sarif", "markdown", "rag")} == {"coe"}
    assert formats["cyclonedx"].plugin == "techspec" and formats["authors-csv"].plugin == "authors"
    assert formats["sarif"].analyzers == ("ast",) and formats["markdown"].analyzers is None
    with pytest.raises(UnknownFormat, match="unknown export format 'nope' .*authors-csv"):
        get_format(manager, "nope")


def test_a_format_registered_later_is_seen() -> None:
    manager = create_manager(env={})
    assert "authors-csv" not in export_formats(manager)
    manager.register(AuthorsExportPlugin(), "authors")
    assert "authors-csv" in export_formats(manager)


def test_a_taken_name_is_the_plugins_load_error() -> None:
    manager = create_manager(env={}, extra_plugins=[("greedy", AuthorsExportPlugin(duplicate=True))])
    formats = export_formats(manager)
    assert formats["sarif"].plugin == "coe"
    assert "export format 'sarif' is already registered by plugin 'coe'" in manager.load_errors["greedy"]


@pytest.mark.parametrize("bad", [
    "not a format",
    ExportFormat("Bad Name", "text/plain", ".txt", lambda s, o: ""),
    ExportFormat("ok", "plain", ".txt", lambda s, o: ""),
    ExportFormat("ok", "text/plain", "txt", lambda s, o: ""),
    ExportFormat("ok", "text/plain", ".txt", lambda s, o: "", options=(ExportOption("x", "date"),)),
])
def test_formats_breaking_the_contract_are_refused(bad: object) -> None:
    class Plugin:
        from coe_framework.plugin.hookspecs import hookimpl

        @hookimpl
        def coe_register_export_formats(self, register):  # noqa: ANN001 - a plugin as a third party writes it
            register(bad)

    manager = create_manager(env={}, extra_plugins=[("bad", Plugin())])
    assert "ok" not in export_formats(manager) and "coe_register_export_formats failed" in manager.load_errors["bad"]


def test_options_are_parsed_and_checked() -> None:
    fmt = get_format(None, "sarif")
    assert fmt.parse_options({}) == {"threshold": 10.0, "error_threshold": None}
    assert fmt.parse_options({"threshold": "2.5"}) == {"threshold": 2.5, "error_threshold": None}
    for given, message in [({"threshold": "-1"}, "at least 0"), ({"threshold": "x"}, "must be a number"),
                           ({"threshold": "nan"}, "must be a number"), ({"colour": "red"}, "has no option 'colour'")]:
        with pytest.raises(ExportError, match=message):
            fmt.parse_options(given)
    with pytest.raises(ExportError, match="one of jsonl, langchain, llamaindex"):
        get_format(None, "rag").parse_options({"layout": "csv"})
    with pytest.raises(ExportError, match="must be an integer"):
        ExportOption("n", "int").parse("1.5")
