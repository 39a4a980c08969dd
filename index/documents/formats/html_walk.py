"""A web page's whole content, read from its elements in order: what the main-text extractor's output is
measured against, and what stands in for it when it keeps too little of a page.

Page furniture stays out: scripts and styles, hidden elements, navigation, headers and footers of the
page, sidebars, forms, and the parts trafilatura's own rules discard by their class or id (menus,
cookie bars, share buttons, comments); so does a block that is mostly links (a menu, an index of
pages). What is left is written as the author structured it: headings, paragraphs, list items, a term
with its definition (`<dt>`/`<dd>`, and a manual's short label above a more indented paragraph), table
rows, and code blocks kept line by line and marked as code.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from index.documents.formats import LABEL_WORDS, TextBuilder, is_option_label
from index.documents.formats.html_meta import PERMALINK_MARKS, words

LEFT_OUT_TAGS = frozenset("""
    script style noscript template head nav aside footer form button select option textarea input
    label iframe object embed svg canvas audio video map dialog menu fieldset datalist
""".split())  # noqa: SIM905
FURNITURE_ROLES = frozenset(("navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar"))
HEADINGS = {f"h{n}": n for n in range(1, 7)}
PARAGRAPHS = frozenset(("p", "address", "figcaption", "caption", "summary"))
CONTAINERS = frozenset("""
    div section article main body blockquote center header hgroup details figure li dd td th span
    font
""".split())  # noqa: SIM905
BLOCKS = PARAGRAPHS | CONTAINERS | frozenset(HEADINGS) | frozenset(("pre", "ul", "ol", "dl", "table", "hr", "dt"))
CODE_TAGS = frozenset(("code", "kbd", "samp", "tt", "var"))
LINKS_SHARE = 0.7  # a block whose text is this much inside links, with at least MENU_LINKS links, is a menu
MENU_LINKS = 3
MARGIN = re.compile(r"margin-left:\s*(\d+(?:\.\d+)?)")


def _furniture(element: Any, inside_content: bool) -> bool:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in LEFT_OUT_TAGS or (tag == "header" and not inside_content):
        return True
    if element.get("hidden") is not None or element.get("aria-hidden") == "true":
        return True
    style = (element.get("style") or "").replace(" ", "").lower()
    if "display:none" in style or "visibility:hidden" in style:
        return True
    if (element.get("role") or "").lower() in FURNITURE_ROLES:
        return True
    if tag == "a" and words(element.text_content()) == "" and element.text_content().strip():
        return True  # a permalink that shows only its mark ("¶")
    return "headerlink" in (element.get("class") or "")


def _menu(element: Any) -> bool:
    """A block that is mostly links: a menu, a table of contents, an index of pages."""
    links = element.findall(".//a")
    if len(links) < MENU_LINKS:
        return False
    text = len("".join(element.itertext()).split())
    linked = sum(len("".join(a.itertext()).split()) for a in links)
    return text > 0 and linked >= LINKS_SHARE * text


def content_root(tree: Any) -> Any:
    """The page's content element: its <main> (or role="main"), else its one <article>, else its <body>."""
    found = tree.xpath("//main|//*[@role='main']")
    if found:
        return found[0]
    articles = tree.xpath("//article")
    if len(articles) == 1:
        return articles[0]
    body = tree.find(".//body")
    return body if body is not None else tree


def pruned_content(tree: Any) -> Any:
    """A copy of the page's content element with its furniture left out."""
    from trafilatura.xpaths import OVERALL_DISCARD_XPATH

    root = copy.deepcopy(content_root(tree))
    inside = root.tag in ("main", "article") or root.get("role") == "main"
    for xpath in OVERALL_DISCARD_XPATH:  # trafilatura's own rules for menus, share bars, cookie notices
        for element in xpath(root):
            if element is not root and element.getparent() is not None:
                element.drop_tree()
    for element in list(root.iter()):
        if element is root or element.getparent() is None or not isinstance(element.tag, str):
            continue
        if _furniture(element, inside or bool(element.xpath("ancestor::article|ancestor::main"))):
            element.drop_tree()
    for element in list(root.iter("div", "ul", "ol", "table", "p", "dl", "section")):
        if element is not root and element.getparent() is not None and _menu(element):
            element.drop_tree()
    return root


def _inline(element: Any) -> str:
    """The text of an inline element (a line break as a space)."""
    return " ".join(part for part in element.itertext())


def _only_code(element: Any) -> bool:
    """A paragraph all of whose words stand in code elements: a command line."""
    text = words(element.text_content())
    coded = " ".join(words(c.text_content()) for c in element.iter(*CODE_TAGS) if c.getparent() is not None
                     and not any(a.tag in CODE_TAGS for a in c.iterancestors()))
    return bool(text) and len(coded.split()) == len(text.split())


def _margin(element: Any) -> float:
    found = MARGIN.search(element.get("style") or "")
    return float(found.group(1)) if found else -1.0


def _label(element: Any, following: Any) -> bool:
    """A manual's label: a short paragraph, ending no sentence, above a more indented one (groff's
    rendering of an option and its description)."""
    text = words(element.text_content())
    return (following is not None and following.tag == "p" and 0 < len(text.split()) <= LABEL_WORDS
            and not text.endswith((".", ":", "!", "?")) and 0 <= _margin(element) < _margin(following))


class _Walk:
    """Writes a pruned content element into a TextBuilder in document order."""

    def __init__(self, out: TextBuilder) -> None:
        self.out = out
        self.run: list[str] = []  # inline text waiting to be written as a paragraph
        self.links = self.linked = 0  # the links in it and their words

    def flush(self) -> None:
        text = " ".join(self.run)
        if text.strip() and not (self.links >= MENU_LINKS and self.linked >= LINKS_SHARE * len(text.split())):
            self.out.add(text)  # (a run of links between blocks is a menu: "NAME SYNOPSIS OPTIONS ...")
        self.run, self.links, self.linked = [], 0, 0

    def container(self, element: Any) -> None:
        if element.text:
            self.run.append(element.text)
        children = [c for c in element if isinstance(c.tag, str)]
        for child in element:
            if not isinstance(child.tag, str):
                pass
            elif child.tag in BLOCKS and (child.tag not in ("span", "font") or self._has_blocks(child)):
                self.flush()
                following = children[children.index(child) + 1] if child is not children[-1] else None
                self.block(child, following)
            elif child.tag == "br":
                self.run.append("\n")
            else:
                self.run.append(_inline(child))
                if child.tag == "a":
                    self.links += 1
                    self.linked += len(self.run[-1].split())
            if child.tail:
                self.run.append(child.tail)
        self.flush()

    @staticmethod
    def _has_blocks(element: Any) -> bool:
        return any(isinstance(c.tag, str) and c.tag in BLOCKS for c in element.iterdescendants())

    def block(self, element: Any, following: Any = None) -> None:
        tag = element.tag
        if tag in HEADINGS:
            self.out.add(words(element.text_content()), heading_level=HEADINGS[tag])
        elif tag == "pre":
            self.out.add(element.text_content(), code=True)
        elif tag == "dt":
            self.out.add_term(words(element.text_content()))
        elif tag in PARAGRAPHS and not self._has_blocks(element):
            if tag == "p" and _label(element, following):
                self.out.add_term(words(element.text_content()))
            else:
                self.out.add(words(element.text_content()), code=_only_code(element))
        elif tag in ("ul", "ol"):
            for number, item in enumerate((c for c in element if c.tag == "li"), start=1):
                mark = f"{number}. " if tag == "ol" else "• "
                if self._has_blocks(item):
                    self.run.append(mark)
                    self.container(item)
                else:
                    self.out.add(mark + words(item.text_content()))
        elif tag == "dl":
            self.container(element)
        elif tag == "table":
            self.table(element)
        elif tag != "hr":
            self.container(element)

    def table(self, element: Any) -> None:
        rows = [row for row in element.iter("tr") if next(row.iterancestors("table"), None) is element]
        for row in rows:
            cells = [c for c in row if c.tag in ("td", "th")]
            if any(self._has_blocks(c) and c.find(".//table") is not None for c in cells):
                for cell in cells:  # a layout table: its cells are containers
                    self.container(cell)
                continue
            texts = [words(c.text_content()) for c in cells]
            texts = [t for t in texts if t]
            if len(texts) == 2 and len(texts[0].split()) <= LABEL_WORDS and not texts[0].endswith("."):
                self.out.add_term(texts[0])  # a term and its definition, as a manual sets an option
                self.out.add(texts[1])
            elif len(texts) == 1 and is_option_label(texts[0]):
                self.out.add_term(texts[0])  # groff sets a long option alone in a table, its text after it
            elif texts:
                self.out.add(" | ".join(texts))


def write_content(root: Any, out: TextBuilder) -> None:
    """Write a pruned content element (`pruned_content`) into `out`."""
    _Walk(out).container(root)


def strip_marks(text: str) -> str:
    """A heading's words without the permalink marks after it ("Options¶")."""
    return text.rstrip(" " + PERMALINK_MARKS)
