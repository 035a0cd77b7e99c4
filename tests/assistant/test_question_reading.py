"""How the assistant reads a question: A-not-A, quantities and units, product titles
that carry attribute words, options shared by products, the host in person."""

from __future__ import annotations

from liveshop.assistant.answerer import RoomAnswerer
from liveshop.assistant.knowledge import FaqFact, ProductFact, RoomKnowledge, SkuFact
from liveshop.assistant.question_reading import expand_shorthand, quantity_tokens


def kettle_shop() -> RoomKnowledge:
    kettle = ProductFact(
        key="kettle",
        title="1.7升恒温保温电热水壶",
        attributes={
            "功率": "1800W大功率",
            "容量": "1.7L",
            "重量": "净重1.2kg",
            "保温": "恒温保温12小时",
            "材质": "304不锈钢内胆",
        },
        skus=(SkuFact({"颜色": "白色"}, 19900, 6), SkuFact({"颜色": "灰色"}, 19900, 0)),
        pinned=True,
    )
    cup = ProductFact(
        key="cup",
        title="陶瓷马克杯",
        attributes={"容量": "350ml", "材质": "高温陶瓷"},
        skus=(SkuFact({"颜色": "白色"}, 3900, 20),),
    )
    powerbank = ProductFact(
        key="powerbank",
        title="磁吸无线充电宝",
        attributes={"充电": "15W无线快充", "重量": "180g"},
        skus=(SkuFact({"颜色": "黑色"}, 8900, 9),),
    )
    faq = (FaqFact("ship", "几天发货", "48小时内发货"),)
    answers = (FaqFact("pick", "主播推荐哪个颜色", "主播自己用灰色"),)
    return RoomKnowledge(
        shop_name="好物", products=(kettle, cup, powerbank), faq=faq, host_answers=answers
    )


def test_a_not_a_is_read_as_the_word_it_asks_about() -> None:
    assert expand_shorthand("水壶重不重") == "水壶重"
    assert expand_shorthand("好用不好用") == "好用"
    assert expand_shorthand("la bu la") == "la"
    assert expand_shorthand("不辣吗") == "不辣吗"  # a plain negation stays


def test_a_quantity_and_a_question_for_it_meet_in_any_unit_spelling() -> None:
    assert quantity_tokens("1800W大功率") == ["量:功率"]
    assert quantity_tokens("多少瓦") == ["量:功率"]
    assert quantity_tokens("20000mAh") == quantity_tokens("几毫安") == ["量:电量"]
    assert quantity_tokens("净重1.2KG") == quantity_tokens("重不重") == ["量:重量"]
    assert quantity_tokens("一百二十斤") == ["量:重量"]
    assert quantity_tokens("保温多久") == ["量:时长"]
    assert quantity_tokens("蓝色l还有吗") == []  # a size, not litres


def test_questions_for_a_quantity_are_answered_from_the_fact_that_states_it() -> None:
    answerer = RoomAnswerer(kettle_shop())
    for question, fact in (
        ("水壶多少瓦", "kettle.attributes.功率"),
        ("热水壶重不重", "kettle.attributes.重量"),
        ("马克杯装多少ml", "cup.attributes.容量"),
        ("水壶能保温几个小时", "kettle.attributes.保温"),
    ):
        decision = answerer.decide(question)
        assert (question, decision.answered, decision.fact) == (question, True, fact)


def test_a_title_word_names_the_product_and_an_attribute_word_in_it_still_asks() -> None:
    answerer = RoomAnswerer(kettle_shop())
    # '保温' is in the kettle's title and is the attribute asked about
    decision = answerer.decide("热水壶保温效果怎么样")
    assert (decision.answered, decision.fact) == (True, "kettle.attributes.保温")
    # '充电宝' names the power bank (充电 is another of its facts); what is asked is its weight
    decision = answerer.decide("充电宝重不重")
    assert (decision.answered, decision.fact) == (True, "powerbank.attributes.重量")


def test_an_option_two_products_share_is_the_pinned_ones() -> None:
    answerer = RoomAnswerer(kettle_shop())
    decision = answerer.decide("白色的还有吗")
    assert decision.fact == "kettle.stock"
    assert decision.answer == "1.7升恒温保温电热水壶：白色 还有 6 件"


def test_an_answer_about_the_host_in_person_is_for_questions_about_the_host() -> None:
    answerer = RoomAnswerer(kettle_shop())
    assert answerer.decide("推荐哪个颜色").fact == "host"
    assert answerer.decide("主播推荐哪个颜色").fact == "qa:pick"


def test_characters_of_a_word_the_room_does_not_know_are_not_enough_to_answer() -> None:
    # '保真' shares 保 with 保温 and nothing else
    decision = RoomAnswerer(kettle_shop()).decide("保真吗")
    assert (decision.answered, decision.fact) == (False, "host")


def houseware_shop() -> RoomKnowledge:
    pot = ProductFact(
        key="pot",
        title="麦饭石不粘炒锅",
        attributes={"材质": "麦饭石涂层铝合金", "适用炉具": "燃气灶电磁炉通用", "重量": "1.6kg"},
        skus=(SkuFact({"尺寸": "30cm"}, 15900, 4), SkuFact({"尺寸": "32cm"}, 17900, 0)),
        pinned=True,
    )
    stand = ProductFact(
        key="stand",
        title="桌面手机支架",
        attributes={"适用机型": "4-7寸手机平板", "材质": "铝合金"},
        skus=(SkuFact({"颜色": "黑色"}, 2900, 10),),
    )
    faq = (
        FaqFact("genuine", "是正品吗", "品牌直供，假一赔十"),
        FaqFact("ship", "什么时候发货", "下午4点前下单当天发"),
    )
    return RoomKnowledge(shop_name="厨房好物", products=(pot, stand), faq=faq)


def test_a_policy_is_found_by_the_words_viewers_use_for_it() -> None:
    answerer = RoomAnswerer(houseware_shop())
    assert answerer.decide("保真吗").fact == "faq:genuine"
    assert answerer.decide("几天能到").fact == "faq:ship"


def test_a_value_word_the_title_also_says_is_what_is_asked_when_nothing_else_is() -> None:
    # '麦饭石' is in the pan's title and its material: '炒锅' names it, '麦饭石' asks
    decision = RoomAnswerer(houseware_shop()).decide("炒锅是麦饭石的吗")
    assert (decision.answered, decision.fact) == (True, "pot.attributes.材质")


def test_a_word_inside_a_longer_word_of_a_value_is_found() -> None:
    knowledge = houseware_shop()
    pot = knowledge.products[0]
    guarded = ProductFact(
        key=pot.key,
        title=pot.title,
        attributes={**pot.attributes, "设计": "防干烧，手柄隔热"},
        skus=pot.skus,
        pinned=True,
    )
    answerer = RoomAnswerer(RoomKnowledge("厨房好物", (guarded, knowledge.products[1])))
    decision = answerer.decide("会干烧吗")  # 防干烧 is one word to jieba
    assert (decision.answered, decision.fact) == (True, "pot.attributes.设计")


def test_what_a_product_fits_is_found_by_the_words_for_fitting() -> None:
    answerer = RoomAnswerer(houseware_shop())
    decision = answerer.decide("手机支架ipad适合吗")
    assert (decision.answered, decision.fact) == (True, "stand.attributes.适用机型")


def test_a_product_named_by_one_word_but_asked_about_anothers_fact_goes_to_the_host() -> None:
    answerer = RoomAnswerer(houseware_shop())
    # 手机 names the stand, but 燃气灶 is in the pan's 适用炉具 only
    decision = answerer.decide("手机支架燃气灶能用吗")
    assert (decision.answered, decision.fact) == (False, "host")
    assert answerer.decide("手机支架平板能用吗").fact == "stand.attributes.适用机型"


def test_whether_there_is_a_colour_or_size_asks_for_its_stock() -> None:
    decision = RoomAnswerer(houseware_shop()).decide("32cm的有吗")
    assert (decision.fact, decision.answer) == ("pot.stock", "麦饭石不粘炒锅：32cm 已售罄")


def sports_shop() -> RoomKnowledge:
    shoe = ProductFact(
        key="shoe",
        title="缓震跑步鞋",
        attributes={"鞋面材质": "透气网布", "鞋码建议": "正常码数，脚背高选大半码"},
        skus=(SkuFact({"尺码": "40"}, 29900, 6),),
        pinned=True,
    )
    bottle = ProductFact(
        key="bottle",
        title="运动水杯 大容量",
        attributes={"容量": "1000ml", "材质": "Tritan"},
        skus=(SkuFact({"颜色": "蓝色"}, 5900, 12),),
    )
    grip = ProductFact(
        key="grip",
        title="硅胶握力器",
        attributes={"阻力": "5-60kg可调"},
        skus=(SkuFact({"颜色": "黑色"}, 1900, 30),),
    )
    answers = (FaqFact("host_size", "主播穿的多大码", "主播穿38"),)
    return RoomKnowledge("运动馆", (shoe, bottle, grip), host_answers=answers)


def test_a_title_stretch_that_ends_in_a_word_for_a_fact_asks_that_fact() -> None:
    # '大容量' is in the bottle's title; its head 容量 is what is asked
    decision = RoomAnswerer(sports_shop()).decide("水杯多大容量")
    assert (decision.answered, decision.fact) == (True, "bottle.attributes.容量")


def test_an_attribute_name_takes_the_words_of_the_names_inside_it() -> None:
    answerer = RoomAnswerer(sports_shop())
    assert answerer.decide("鞋码偏大还是偏小").fact == "shoe.attributes.鞋码建议"
    assert answerer.decide("鞋子是什么料子的").fact == "shoe.attributes.鞋面材质"


def test_a_fact_only_another_product_has_is_its_or_the_hosts_never_a_weaker_one() -> None:
    answerer = RoomAnswerer(sports_shop())
    # no product named: the one product with 阻力, not the pinned shoe's weaker match
    assert answerer.decide("阻力能调吗").fact == "grip.attributes.阻力"
    # the shoe named, but only the grip has 阻力: the host
    assert answerer.decide("跑步鞋阻力大吗").fact == "host"
    # the bottle named, its own 材质 matches about as well as the shoe's 鞋面材质
    assert answerer.decide("水杯什么材质").fact == "bottle.attributes.材质"


def test_what_the_host_wears_is_the_hosts_to_answer() -> None:
    # not the shoe's 鞋码建议: a question about the host in person
    decision = RoomAnswerer(sports_shop()).decide("主播穿多大码")
    assert (decision.answered, decision.fact) == (False, "host")


def test_one_character_is_not_read_by_its_sound_nor_names_a_product() -> None:
    food = ProductFact(
        key="food",
        title="冻干猫粮",
        attributes={"喂食量": "每天50克"},
        skus=(SkuFact({"规格": "2kg"}, 12900, 5),),
        pinned=True,
    )
    bowl = ProductFact(key="bowl", title="大号陶瓷碗", attributes={"容量": "500ml"})
    answerer = RoomAnswerer(RoomKnowledge("宠物店", (food, bowl)))
    # 粮 sounds like 量 (of 喂食量): not a match
    assert answerer.decide("有没有狗粮").fact == "host"
    # '大' is a character of 大号, which names the bowl; the pinned food is meant
    assert answerer.decide("一天喂多大量").fact == "food.attributes.喂食量"
