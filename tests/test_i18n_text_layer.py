"""No English prose is built outside the text layer: every sentence a chat user reads comes
from handlers/texts/ (and so from the catalogs). A scan of bot/, handlers/ and recsys/ for
string literals that read like English sentences, with a short, justified allow-list."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("bot", "handlers", "recsys")
TEXT_LAYER = ROOT / "handlers" / "texts"
# An HTML page's skeleton (its words come from the text layer) is not prose.
MARKUP = re.compile(r"^\s*<")
# Four or more words, or a capitalised clause of three: what a person would read as prose.
PROSE = re.compile(r"[A-Za-z][a-z']*(?:[ ,;:]+[A-Za-z][a-z'-]*){3,}|^[A-Z][a-z']+(?: [a-z']+){2,}")
# Calls whose strings never reach a chat: logs, exceptions' messages for the operator (the
# adapters map exceptions to texts), argparse help, Prometheus help, SQL.
QUIET_CALLS = {
    "debug", "info", "warning", "error", "exception", "critical", "log",
    "add_argument", "add_parser", "ArgumentParser", "Counter", "Histogram", "Gauge",
    "execute", "fetch", "fetchrow", "fetchval", "executemany", "json_response",
    "log_failure", "log_recovery",
}  # fmt: skip
# Whole modules whose strings are not chat output, each with why.
ALLOWED = {
    # terminal tools for the operator: doctor, catalog, database, jobs, secrets, run; the
    # batch's own format errors are part of its English machine interface
    "bot/cli": "terminal tool",
    "bot/settings.py": "the operator's configuration errors",
    "bot/setting_rules.py": "the operator's configuration errors (split from settings.py)",
    "bot/web.py": "JSON answers to operators' HTTP clients (health, metrics)",
    "bot/telegram/inbox.py": "why a stored update was dropped, kept on its inbox row",
    "handlers/secrets.py": "an undecryptable token's error, for the operator's log",
    "handlers/spotify/sync.py": "a sync job's result, kept on its job row",
    "bot/telegram/webhook.py": "HTTP answers to Telegram's servers",
    "handlers/edge": "errors of the outside services, for the operator's log",
    "handlers/key_rotation.py": "`melodiclens secrets rotate` terminal report",
    "handlers/metrics.py": "Prometheus help texts",
    "recsys/captioner.py": "the vision model's prompt (model input)",
    "recsys/themes.py": "theme hypotheses embedded for matching (model input)",
    "recsys/lexicon.py": "word lists the mood reader reads (model input)",
    "recsys/mood_reader.py": "word lists the mood reader reads (model input)",
    "recsys/word_scan.py": "word lists the mood reader reads (split from mood_reader.py)",
    "recsys/target_traits.py": "cue words the mood reader reads (split from mood_reader.py)",
    "recsys/query.py": "scene nouns matched in captions (model input)",
    "recsys/steering.py": "patterns matched in the listener's words",
    "recsys/image_stats.py": "a caption written from pixels, data like the vision model's",
    "recsys/vision_hosts.py": "errors of the vision hosts, for the operator's log",
    "recsys/catalog_csv.py": "catalog import errors, for the operator's terminal",
}


def _quiet(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Whether a literal sits in a docstring, a raise, or a call that never reaches a chat."""
    parent = parents.get(node)
    if isinstance(parent, ast.Expr):
        return True  # a docstring or a bare string
    while parent is not None:
        if isinstance(parent, ast.Raise | ast.Assert):
            return True
        if isinstance(parent, ast.Call):
            func = parent.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in QUIET_CALLS:
                return True
        parent = parents.get(parent)
    return False


def _literal_text(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> str:
    """A string literal's text; an f-string's with each {value} read as a word."""
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) else "x" for part in node.values
        )
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return "" if isinstance(parents.get(node), ast.JoinedStr) else node.value
    return ""


def prose_outside_the_text_layer() -> list[str]:
    """Every sentence-like literal outside the text layer and the allow-list."""
    found = []
    for package in SCANNED:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if path.is_relative_to(TEXT_LAYER) or any(
                relative == allowed or relative.startswith(allowed + "/") for allowed in ALLOWED
            ):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            parents = {
                child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)
            }
            for node in ast.walk(tree):
                text = _literal_text(node, parents)
                prose = text and PROSE.search(text) and not MARKUP.match(text)
                if prose and not _quiet(node, parents):
                    found.append(f"{relative}:{node.lineno}: {text[:70]!r}")
    return found


def test_no_module_outside_the_text_layer_writes_prose_for_users() -> None:
    assert prose_outside_the_text_layer() == []


def test_the_scan_catches_a_sentence_built_elsewhere(tmp_path: Path) -> None:
    """The scan is not vacuous: an f-string sentence and a plain one are both found."""
    source = 'def reply(name):\n    return f"Linked as {name}. Importing your library..."\n'
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    texts = [_literal_text(node, parents) for node in ast.walk(tree)]
    assert any(PROSE.search(text) for text in texts if text)
    assert PROSE.search("That file is too big to read")
    assert not PROSE.search("spotify_id") and not PROSE.search("/link-spotify")
