"""Which language a file is written in, from its extension or name."""
from __future__ import annotations

import posixpath

#: Extension (lower case, with the dot) to language name.
EXTENSIONS: dict[str, str] = {
    ".py": "python", ".pyw": "python", ".pyi": "python",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript",
    ".tsx": "tsx",
    ".java": "java",
    ".go": "go",
    ".rs": "rust",
    ".c": "c", ".h": "c",
    ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".c++": "cpp", ".hh": "cpp", ".hpp": "cpp", ".hxx": "cpp", ".h++": "cpp",
    ".cs": "csharp",
    ".rb": "ruby", ".rake": "ruby", ".gemspec": "ruby", ".ru": "ruby",
    ".php": "php", ".phtml": "php",
}

#: Whole file names that carry no telling extension.
FILENAMES: dict[str, str] = {
    "Rakefile": "ruby", "Gemfile": "ruby", "Guardfile": "ruby", "Vagrantfile": "ruby", "Podfile": "ruby",
    "Capfile": "ruby", "Brewfile": "ruby", "SConstruct": "python", "SConscript": "python",
}

#: Every language the analyzer understands.
LANGUAGES: tuple[str, ...] = tuple(sorted(set(EXTENSIONS.values()) | set(FILENAMES.values())))


def language_of(path: str) -> str | None:
    """The language of ``path`` (a repository-relative POSIX path), or None."""
    name = posixpath.basename(path)
    if name in FILENAMES:
        return FILENAMES[name]
    dot = name.rfind(".")
    if dot <= 0:
        return None
    return EXTENSIONS.get(name[dot:].lower())
