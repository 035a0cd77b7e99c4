"""The simulated chatters' and shoppers' display names (昵称): fan_000 … and shopper_000 …
sign in with Latin usernames, but a room shows what people chose to be called, as viewers
on Chinese platforms do, so their masked purchase lines and bids read 小** or 林**, not f**."""

from __future__ import annotations

FAN_NAMES = (
    "小鱼儿",
    "林晓雨",
    "爱吃草莓的猫",
    "王大锤",
    "陈默",
    "奶茶续命",
    "周周",
    "追光的人",
    "李婷婷",
    "张小凡",
    "半糖少女",
    "夏天的风",
    "刘阿姨",
    "早睡早起",
    "赵小北",
    "橘子汽水",
    "杨柳依依",
    "吃不胖的胖子",
    "孙悟饭",
    "一只小羊",
    "黄小厨",
    "云朵朵",
    "徐徐图之",
    "咸鱼翻身",
    "何以笙箫",
    "马小跳",
    "胡萝卜",
    "郭郭",
    "罗小黑",
    "甜酒酿",
    "梁上燕",
    "宋小宝贝",
    "谢谢你呀",
    "韩梅梅",
    "唐小糖",
    "冯先生",
    "许愿瓶",
    "邓小橙",
    "程序员阿杰",
    "沈一白",
)


def fan_name(index: int) -> str:
    """The display name of chatter ``fan_<index>``."""
    return FAN_NAMES[index % len(FAN_NAMES)]
