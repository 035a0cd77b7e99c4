"""What people typed is shown as written, in an element that says its language (issue 18 §2):
the templates' filters and the scripts' static/written_language.js follow one rule,
core.languages.written_language, whose table base.html hands the scripts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from markupsafe import Markup

from liveshop.core.languages import written_language
from liveshop.web.templating import lang_of, typed
from tests.core.test_written_language import MARKED, NOT_MARKED

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from tests.web.conftest import LiveServer

CASES = [*MARKED, *(text for text in NOT_MARKED if text is not None)]

# The rule as the pages' scripts run it, and a sentence of the page's with a typed value in it.
SCRIPT_RULE = """async (cases) => {
  const rule = await import("/static/written_language.js");
  const sentence = document.createElement("p");
  const typed = { title: "Linen shirt" };
  sentence.append(...rule.typedWords("{title} 买了 {count} 件", { count: 2 }, typed));
  return { tags: cases.map(rule.writtenLanguage), sentence: sentence.innerHTML };
}"""


def test_the_filters_mark_typed_text_and_escape_it() -> None:
    shown = Markup('<span lang="en">Linen &lt;b&gt;shirt&lt;/b&gt;</span>')
    assert typed("Linen <b>shirt</b>") == shown
    assert typed("包邮吗") == Markup('<span lang="zh">包邮吗</span>')
    assert typed("¥39.00 <3") == Markup("¥39.00 &lt;3")
    assert typed(None) == Markup("")
    assert lang_of("Does it come in blue") == Markup(' lang="en"')
    assert lang_of("15") == Markup("")


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_scripts_mark_typed_text_as_the_server_does(
    locale: str, server: LiveServer, browser: Browser
) -> None:
    context = browser.new_context(base_url=server.base_url, locale=locale)
    try:
        page = context.new_page()
        page.goto("/")
        found = page.evaluate(SCRIPT_RULE, CASES)
    finally:
        context.close()
    assert found["tags"] == [written_language(text) for text in CASES]
    assert found["sentence"] == '<span lang="en">Linen shirt</span> 买了 2 件'
