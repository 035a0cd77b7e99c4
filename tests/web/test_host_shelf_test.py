"""The host console's A/B test of the shelf's order, at phone and desktop sizes and in
both languages: the host picks one of the shop's experiments and each variant's lead,
changes and detaches it, and once a viewer has seen their variant's order the console
says the test is fixed and offers no change. Opening the console exposes nobody."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from tests.web.conftest import LiveServer, OpenPage

pytestmark = pytest.mark.browser

FIXED = {"zh-CN": "测试不能再更改或解除", "en": "can no longer be changed or detached"}


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_host_sets_changes_and_detaches_the_shelf_test_until_a_viewer_sees_it(
    server: LiveServer, open_page: OpenPage, size: str, locale: str
) -> None:
    host, merchant, coat, room_id = server.selling_room(
        title="冬装专场", product={"title": "羽绒服", "price": 29_900, "stock": 5}
    )
    scarf = server.create_product(merchant, title="羊毛围巾", price=12_800, stock=5)
    server.api(
        host, "PUT", f"/api/rooms/{room_id}/shelf", {"product_ids": [coat["id"], scarf["id"]]}
    )
    variants = [{"name": "a", "weight": 1}, {"name": "b", "weight": 1}]
    experiment = server.api(
        merchant, "POST", "/api/experiments", {"name": "首位", "variants": variants}, expect=201
    )
    url = f"/api/rooms/{room_id}/shelf-experiment"

    page = open_page(host, f"/host/rooms/{room_id}", locale=locale, size=size)
    form = page.locator("#shelf-test")
    expect(form).to_be_visible()
    form.locator("#shelf-test-experiment").select_option(str(experiment["id"]))
    form.locator('select[data-variant="a"]').select_option(str(scarf["id"]))
    form.locator('select[data-variant="b"]').select_option(str(coat["id"]))
    form.locator("#shelf-test-save").click()
    expect(form.locator("#shelf-test-detach")).to_be_visible()
    assert server.api(host, "GET", url)["leads"] == {"a": scarf["id"], "b": coat["id"]}

    form.locator('select[data-variant="b"]').select_option(str(scarf["id"]))
    with page.expect_response(lambda response: response.request.method == "PUT") as answer:
        form.locator("#shelf-test-save").click()
    assert answer.value.status == 200
    assert server.api(host, "GET", url)["leads"] == {"a": scarf["id"], "b": scarf["id"]}
    form.locator("#shelf-test-detach").click()
    expect(form.locator("#shelf-test-detach")).to_be_hidden()
    server.api(host, "GET", url, expect=404)

    form.locator("#shelf-test-experiment").select_option(str(experiment["id"]))
    form.locator("#shelf-test-save").click()
    expect(form.locator("#shelf-test-detach")).to_be_visible()
    page.reload()  # the console reads the shelf again: the host is no viewer
    expect(page.locator("#shelf-test-detach")).to_be_visible()
    assert server.api(host, "GET", url)["exposed"] is False

    viewer = server.create_user(server.unique("shelffan"))
    server.api(viewer, "GET", f"/api/rooms/{room_id}/shelf")  # the exposure
    page.reload()
    expect(page.locator("#shelf-test-fixed")).to_be_visible()  # the panel's own read done
    expect(page.locator("#shelf-test-fixed")).to_contain_text(FIXED[locale])
    expect(page.locator("#shelf-test-save")).to_be_hidden()
    expect(page.locator("#shelf-test-detach")).to_be_hidden()
    box = page.locator("#shelf-test").bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= page.viewport_size["width"] + 1  # type: ignore[index]
