"""The browser enforces the pages' Content-Security-Policy: injected inline script
does not run, and the violation is reported (which the page opener records)."""

from __future__ import annotations

from tests.web.conftest import LiveServer, PageOpener

INJECT_INLINE_SCRIPT = """() => {
  const script = document.createElement("script");
  script.textContent = "window.injectedRan = true";
  document.body.append(script);
}"""


def test_inline_script_injected_into_a_page_does_not_run(
    server: LiveServer, new_page: PageOpener
) -> None:
    page = new_page(None, "/login")

    page.evaluate(INJECT_INLINE_SCRIPT)
    page.wait_for_timeout(200)

    assert page.evaluate("() => window.injectedRan === true") is False
    violations = new_page.csp_violations.pop(page)
    assert len(violations) == 1
    assert "script-src 'self'" in violations[0]


def test_no_other_site_may_frame_a_page(server: LiveServer, new_page: PageOpener) -> None:
    """frame-ancestors 'none': the room's one-click buy cannot be clickjacked."""
    page = new_page(None, "/login")
    framing = page.context.new_page()
    messages: list[str] = []
    framing.on("console", lambda message: messages.append(message.text))

    framing.set_content(f'<iframe src="{server.base_url}/login"></iframe>')
    framing.wait_for_timeout(500)

    (child,) = [frame for frame in framing.frames if frame != framing.main_frame]
    assert child.url == "chrome-error://chromewebdata/"
    assert any("frame-ancestors 'none'" in message for message in messages), messages
