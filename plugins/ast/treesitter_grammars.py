"""What the ``ast`` analyzer looks for in each tree-sitter grammar.

One installed grammar package per language (nothing is downloaded at run
time). For each language: the node types that define functions and
classes, the branch nodes that add one to a function's cyclomatic
complexity, the boolean operators that do the same, and how imports look.
"""
from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

import tree_sitter

#: Functions whose symbol is a method when their container is one of these kinds.
TYPE_KINDS = frozenset({"class", "interface", "struct", "enum", "trait", "impl", "module", "record"})


@dataclass(frozen=True)
class GrammarSpec:
    """Node types of one grammar that the analyzer gives a meaning to."""

    #: (module, function) that returns the grammar's language pointer.
    loader: tuple[str, str]
    #: Function-defining node types.
    functions: frozenset[str]
    #: Type-defining node types, mapped to the kind reported for them.
    types: dict[str, str]
    #: Nodes that add one decision point each.
    branches: frozenset[str]
    #: Case-like nodes that add one unless they are the default/wildcard arm.
    cases: frozenset[str] = frozenset()
    #: Node types of binary expressions and the operators that count.
    binary: frozenset[str] = frozenset({"binary_expression"})
    logical_operators: frozenset[str] = frozenset({"&&", "||"})
    #: Nodes whose expressions are evaluated at compile time and add no
    #: decision point (C++ ``noexcept(a && b)``, ``requires a && b``).
    compile_time: frozenset[str] = frozenset()
    #: Node types of import statements.
    imports: frozenset[str] = frozenset()
    #: Function nodes that only become symbols when a declaration names them
    #: (``const f = () => ...``); otherwise they belong to the enclosing function.
    anonymous_functions: frozenset[str] = frozenset()
    #: Comment node types (for source-line counts).
    comments: frozenset[str] = frozenset({"comment"})
    #: Container node types that give qualified names but are not symbols.
    namespaces: frozenset[str] = frozenset()
    #: Call node types whose callee names an import (Ruby's ``require``).
    import_calls: dict[str, frozenset[str]] = field(default_factory=dict)


_JS_FUNCTIONS = frozenset({
    "function_declaration", "generator_function_declaration", "method_definition",
    "function_expression", "generator_function", "arrow_function", "function",
})
_JS_BRANCHES = frozenset({
    "if_statement", "for_statement", "for_in_statement", "while_statement", "do_statement",
    "catch_clause", "ternary_expression", "switch_case",
})
_JS_TYPES = {"class_declaration": "class", "class": "class", "abstract_class_declaration": "class",
             "interface_declaration": "interface", "enum_declaration": "enum"}
_JS_COMMON = dict(
    functions=_JS_FUNCTIONS,
    types=_JS_TYPES,
    branches=_JS_BRANCHES,
    logical_operators=frozenset({"&&", "||", "??"}),
    imports=frozenset({"import_statement"}),
    anonymous_functions=frozenset({"function_expression", "generator_function", "arrow_function", "function"}),
)
_C_BRANCHES = frozenset({"if_statement", "for_statement", "while_statement", "do_statement", "conditional_expression"})
_C_TYPES = {"struct_specifier": "struct", "union_specifier": "struct", "enum_specifier": "enum"}

GRAMMARS: dict[str, GrammarSpec] = {
    "javascript": GrammarSpec(loader=("tree_sitter_javascript", "language"), **_JS_COMMON),
    "typescript": GrammarSpec(loader=("tree_sitter_typescript", "language_typescript"), **_JS_COMMON),
    "tsx": GrammarSpec(loader=("tree_sitter_typescript", "language_tsx"), **_JS_COMMON),
    "java": GrammarSpec(
        loader=("tree_sitter_java", "language"),
        functions=frozenset({"method_declaration", "constructor_declaration", "compact_constructor_declaration"}),
        types={"class_declaration": "class", "interface_declaration": "interface", "enum_declaration": "enum",
               "record_declaration": "record", "annotation_type_declaration": "interface"},
        branches=frozenset({"if_statement", "for_statement", "enhanced_for_statement", "while_statement",
                            "do_statement", "catch_clause", "ternary_expression"}),
        cases=frozenset({"switch_label"}),
        imports=frozenset({"import_declaration"}),
        comments=frozenset({"line_comment", "block_comment"}),
    ),
    "go": GrammarSpec(
        loader=("tree_sitter_go", "language"),
        functions=frozenset({"function_declaration", "method_declaration"}),
        types={"type_spec": "struct"},
        branches=frozenset({"if_statement", "for_statement", "expression_case", "type_case", "communication_case"}),
        imports=frozenset({"import_spec"}),
    ),
    "rust": GrammarSpec(
        loader=("tree_sitter_rust", "language"),
        functions=frozenset({"function_item"}),
        types={"struct_item": "struct", "enum_item": "enum", "union_item": "struct", "trait_item": "trait",
               "impl_item": "impl", "mod_item": "module"},
        branches=frozenset({"if_expression", "while_expression", "for_expression"}),
        cases=frozenset({"match_arm"}),
        imports=frozenset({"use_declaration"}),
        comments=frozenset({"line_comment", "block_comment"}),
    ),
    "c": GrammarSpec(
        loader=("tree_sitter_c", "language"),
        functions=frozenset({"function_definition"}),
        types=_C_TYPES,
        branches=_C_BRANCHES,
        cases=frozenset({"case_statement"}),
        imports=frozenset({"preproc_include"}),
    ),
    "cpp": GrammarSpec(
        loader=("tree_sitter_cpp", "language"),
        functions=frozenset({"function_definition"}),
        types={**_C_TYPES, "class_specifier": "class"},
        branches=_C_BRANCHES | {"for_range_loop", "catch_clause"},
        cases=frozenset({"case_statement"}),
        compile_time=frozenset({"noexcept", "requires_clause"}),
        imports=frozenset({"preproc_include"}),
        namespaces=frozenset({"namespace_definition"}),
    ),
    "csharp": GrammarSpec(
        loader=("tree_sitter_c_sharp", "language"),
        functions=frozenset({"method_declaration", "constructor_declaration", "destructor_declaration",
                             "local_function_statement", "operator_declaration"}),
        types={"class_declaration": "class", "interface_declaration": "interface", "struct_declaration": "struct",
               "record_declaration": "record", "enum_declaration": "enum"},
        branches=frozenset({"if_statement", "for_statement", "foreach_statement", "while_statement", "do_statement",
                            "catch_clause", "conditional_expression"}),
        cases=frozenset({"switch_section", "switch_expression_arm"}),
        logical_operators=frozenset({"&&", "||", "??"}),
        imports=frozenset({"using_directive"}),
        namespaces=frozenset({"namespace_declaration", "file_scoped_namespace_declaration"}),
    ),
    "ruby": GrammarSpec(
        loader=("tree_sitter_ruby", "language"),
        functions=frozenset({"method", "singleton_method"}),
        types={"class": "class", "module": "module", "singleton_class": "class"},
        branches=frozenset({"if", "elsif", "unless", "while", "until", "for", "when", "rescue", "conditional",
                            "if_modifier", "unless_modifier", "while_modifier", "until_modifier", "rescue_modifier"}),
        binary=frozenset({"binary"}),
        logical_operators=frozenset({"&&", "||", "and", "or"}),
        import_calls={"call": frozenset({"require", "require_relative", "load", "autoload"})},
    ),
    "php": GrammarSpec(
        loader=("tree_sitter_php", "language_php"),
        functions=frozenset({"function_definition", "method_declaration"}),
        types={"class_declaration": "class", "interface_declaration": "interface", "trait_declaration": "trait",
               "enum_declaration": "enum"},
        branches=frozenset({"if_statement", "else_if_clause", "for_statement", "foreach_statement", "while_statement",
                            "do_statement", "catch_clause", "conditional_expression", "case_statement",
                            "match_conditional_expression"}),
        logical_operators=frozenset({"&&", "||", "and", "or", "??"}),
        imports=frozenset({"namespace_use_clause", "include_expression", "include_once_expression",
                           "require_expression", "require_once_expression"}),
    ),
}


@lru_cache(maxsize=None)
def language_for(language: str) -> tree_sitter.Language:
    """The compiled grammar of ``language`` (one per process; immutable, so shared by threads)."""
    module_name, function_name = GRAMMARS[language].loader
    loader: Callable[[], object] = getattr(importlib.import_module(module_name), function_name)
    return tree_sitter.Language(loader())


_parsers = threading.local()


def parser_for(language: str) -> tree_sitter.Parser:
    """A parser for ``language``, one per thread: a parser holds parse state and must not be shared."""
    cache: dict[str, tree_sitter.Parser] | None = getattr(_parsers, "by_language", None)
    if cache is None:
        cache = _parsers.by_language = {}
    parser = cache.get(language)
    if parser is None:
        parser = cache[language] = tree_sitter.Parser(language_for(language))
    return parser
