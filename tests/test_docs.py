"""README.md and docs/*.md: every code fence is closed, and every YAML config fragment is valid.

A ```yaml block is a config fragment: it is merged into the default ``config.yaml`` (mappings
merged key by key, anything else replaced) and validated with ``affectflow.core.config.validate``,
the schema and reference checks the workflow runs before any job. A block that is deliberately
not a whole fragment must say so on its first line: ``# partial: <why>``; there are none now.
"""
import copy
import re
from pathlib import Path

import pytest
import yaml

from affectflow.core import config

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
OPEN = re.compile(r"^(`{3,}|~{3,})(.*)$")


def fences(text: str, name: str) -> list[tuple[int, str, str]]:
    """``(line, info, body)`` of each fenced block; an error names an unclosed or misnested fence.

    CommonMark: a fence closes only on a line of the same character, at least as long, with no
    info string. A fence line *with* an info string inside an open block is treated as an error:
    it is the usual sign of a block left open (the README once lost its second half that way)."""
    blocks, open_at, marker, info, body = [], None, "", "", []
    for n, line in enumerate(text.splitlines(), 1):
        m = OPEN.match(line)
        if open_at is None:
            if m:
                open_at, marker, info, body = n, m.group(1), m.group(2).strip(), []
            continue
        if m and m.group(1)[0] == marker[0] and len(m.group(1)) >= len(marker) and not m.group(2).strip():
            blocks.append((open_at, info, "\n".join(body)))
            open_at = None
        elif m and m.group(2).strip():
            raise AssertionError(f"{name}:{n}: fence '{line.strip()}' inside the block opened at line {open_at} (left open?)")
        else:
            body.append(line)
    if open_at is not None:
        raise AssertionError(f"{name}:{open_at}: code fence never closed")
    return blocks


def merge(base: dict, fragment: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in fragment.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def test_the_fence_checker_catches_what_broke_the_readme():
    assert [b[:2] for b in fences("```python\nx = 1\n```\n\n```yaml\na: 1\n```\n", "ok")] == [(1, "python"), (5, "yaml")]
    with pytest.raises(AssertionError, match=r"bad:1: code fence never closed"):
        fences("```python\nx = 1\n## Next section\n", "bad")
    with pytest.raises(AssertionError, match=r"bad:4: fence '```yaml' inside the block opened at line 1"):
        fences("```python\nx = 1\n## Next\n```yaml\na: 1\n```\n", "bad")


def test_pages_exist_and_the_readme_links_every_doc():
    readme = (REPO / "README.md").read_text()
    docs = sorted(p.name for p in (REPO / "docs").glob("*.md"))
    assert len(docs) >= 10
    assert [d for d in docs if f"](docs/{d})" not in readme] == []
    for page in PAGES:  # relative links between the pages resolve
        for target in re.findall(r"\]\(([^)#:]+\.md)(?:#[^)]*)?\)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.relative_to(REPO)}: link to missing {target}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_fences_are_balanced(page):
    fences(page.read_text(), str(page.relative_to(REPO)))


YAML_BLOCKS = [(page, line, body) for page in PAGES for line, info, body in fences(page.read_text(), page.name)
               if info.split()[:1] in (["yaml"], ["yml"])]


def test_there_are_yaml_fragments_to_check():
    assert len(YAML_BLOCKS) >= 4


@pytest.mark.parametrize("page,line,body", YAML_BLOCKS, ids=[f"{p.relative_to(REPO)}:{n}" for p, n, _ in YAML_BLOCKS])
def test_yaml_config_fragments_validate_against_the_schema(page, line, body):
    where = f"{page.relative_to(REPO)}:{line}"
    if body.lstrip().startswith("# partial:"):
        pytest.skip(f"{where}: marked partial")
    fragment = yaml.safe_load(body)
    assert isinstance(fragment, dict), f"{where}: a config fragment is a mapping of top-level config keys"
    known = set(config.schema()["properties"])
    assert set(fragment) <= known, f"{where}: {sorted(set(fragment) - known)} are not config sections (mark it '# partial:')"
    cfg = merge(yaml.safe_load((REPO / "config.yaml").read_text()), fragment)
    config.validate(cfg, where)


def test_an_invalid_fragment_is_caught():
    cfg = merge(yaml.safe_load((REPO / "config.yaml").read_text()), {"features": {"x": {"kind": "vggish"}}})
    with pytest.raises(config.ConfigError, match="'weights' is a required property"):
        config.validate(cfg, "fragment")
