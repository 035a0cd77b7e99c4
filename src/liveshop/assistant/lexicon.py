"""The words viewers use, by what they ask about. General shop Chinese, not any one
shop's products: a fixture or a shop brings its own titles and attribute names."""

from __future__ import annotations

import re

# Chat shorthand and English, read as the Chinese a viewer means.
SHORTHAND: dict[str, str] = {
    "yf": "运费",
    "by": "包邮",
    "kd": "快递",
    "fh": "发货",
    "th": "退货",
    "thh": "退换货",
    "zp": "正品",
    "jg": "价格",
    "kc": "库存",
    "cm": "尺码",
    "mz": "面料",
    "lj": "链接",
    "yhq": "优惠券",
    "price": "价格",
    "prices": "价格",
    "cost": "价格",
    "much": "多少钱",
    "size": "尺码",
    "sizes": "尺码",
    "stock": "库存",
    "available": "有货",
    "left": "还有",
    "color": "颜色",
    "colour": "颜色",
    "colors": "颜色",
    "shipping": "发货",
    "ship": "发货",
    "delivery": "发货",
    "deliver": "发货",
    "return": "退货",
    "returns": "退货",
    "refund": "退款",
    "material": "材质",
    "fabric": "面料",
    "coupon": "优惠券",
    "discount": "优惠",
    "weight": "重量",
    "battery": "电池",
    "warranty": "保修",
    "waterproof": "防水",
    "ingredients": "配料",
    "expiry": "保质期",
    "expire": "保质期",
    "origin": "产地",
    "brand": "品牌",
    "authentic": "正品",
    "genuine": "正品",
    "original": "正品",
    "capacity": "容量",
    "sold": "卖完",
    "soldout": "卖完",
}

# Cues of the facts every product has, beside its attributes.
PRICE_CUES = (
    "多少钱 价格 价钱 几块 多钱 啥价 什么价 单价 现价 报价 贵 便宜 钱 几元 售价 到手价 "
    "卖多少 多少米"
)
STOCK_CUES = "有货 还有 库存 没货 卖完 售罄 断货 补货 剩 现货 有没有 还剩 抢完 几件 多少件 拍完"
BRAND_CUES = "品牌 牌子 哪个牌子 厂家 谁家的"

# Attribute names and the words viewers use for them. An attribute whose name is
# here is also found by these words; any other name is found by its own words.
ATTRIBUTE_SYNONYMS: dict[str, str] = {
    "材质": "面料 料子 布料 成分 什么做的 什么料 材料 质地 纯棉 棉",
    "面料": "材质 料子 布料 成分 什么料 质地 棉",
    "尺码": "码数 尺寸 大小 多大 码 号 偏大 偏小 标准码 穿什么码 体重 身高",
    "尺码建议": "码数 尺寸 大小 多大 码 号 偏大 偏小 标准码 穿什么码 斤 体重 身高 选",
    "鞋码": "码数 尺码 大小 多大 码 偏大 偏小 标准码 穿多大 穿什么码 脚长 脚宽 脚背 选码 选",
    "版型": "宽松 修身 显瘦 偏大 偏小 版 紧",
    "颜色": "色 颜色 色号 几个色 什么色",
    "色号": "颜色 色 号 什么色 显白",
    "重量": "多重 几斤 克 净含量 分量 重",
    "净含量": "多重 几斤 克 分量 重量 多少克 多少g",
    "规格": "多少克 多少g 几袋 几包 装 多大 包装",
    "产地": "哪里产 哪产的 产自 哪里的 国产 进口 原产",
    "保质期": "保质 过期 多久 期限 放多久 能放 日期",
    "储存": "保存 冷藏 冷冻 放冰箱 常温",
    "储存方式": "保存 冷藏 冷冻 放冰箱 常温",
    "容量": "多少ml 毫升 多大 装多少 升",
    "适用肤质": "肤质 油皮 干皮 敏感肌 混油 痘痘肌 孕妇",
    "肤质": "油皮 干皮 敏感肌 混油 适合",
    "功效": "作用 效果 管用 美白 保湿 祛痘",
    "成分": "配方 含 酒精 香精 添加",
    "配料": "成分 配方 添加剂 糖 防腐剂 含 里面 有什么 原料",
    "口味": "味道 口味 辣不辣 甜不甜 好吃 咸",
    "辣度": "辣不辣 辣 微辣 麻",
    "电池": "续航 电量 毫安 待机 用多久 充一次",
    "续航": "电池 电量 待机 用多久 充一次 多久",
    "充电": "快充 充电 瓦 w 充满",
    "接口": "typec 苹果口 lightning 插头 接头",
    "兼容": "适配 适用 型号 兼容 能用 支持 iphone 华为 安卓",
    "适用机型": "适配 适用 型号 兼容 能用 支持 iphone 华为 安卓",
    "保修": "质保 保修 售后 坏了 维修 保多久",
    "防水": "防水 进水 下雨 游泳 洗澡",
    "尺寸": "多大 多长 多宽 长宽高 大小 厘米 cm",
    "适用年龄": "几岁 年龄 多大孩子 宝宝 小孩 儿童",
    "适用人群": "适合 谁 人群 老人 孕妇 小孩",
    "洗涤": "机洗 手洗 缩水 掉色 洗 起球",
    "厚度": "厚 薄 厚不厚 透 冬天 夏天",
    "弹力": "弹 弹性 有弹力",
    "发货": "发货 几天 什么时候发 多久发 快递 物流 到货 寄 发什么快递 时效",
    "快递": "发货 物流 顺丰 中通 圆通 韵达 京东 邮政 发什么快递",
    "运费": "包邮 邮费 运费 快递费 偏远",
    "退换": "退货 换货 退换 七天无理由 7天 无理由 不合适 退 换 运费险 售后",
    "退换货": "退货 换货 退换 七天无理由 7天 无理由 不合适 退 换 运费险 售后",
    "售后": "退货 换货 保修 质量问题 坏了",
    "使用方法": "怎么用 用法 使用 步骤 几次 多久一次 敷 涂 抹 冲泡 怎么吃",
    "用法": "怎么用 使用方法 使用 步骤 几次 多久一次 敷 涂 抹 怎么吃",
    "持久度": "持久 持妆 保持 脱妆 掉色 多久",
    "功率": "多少瓦 瓦 w 耗电 费电 电费 省电 功率",
    "电压": "伏 v 220v 插电 电源",
    "噪音": "声音 吵 静音 安静 分贝 响",
    "安装": "怎么装 安装 组装 装 上门 打孔",
    "清洗": "怎么洗 清洗 好洗 拆洗 可拆 洗",
    "适用面积": "面积 平米 平方 多大房间",
    "档位": "几档 档位 调节 风速 模式",
    "安全": "安全 有毒 无毒 甲醛 异味 认证 环保 食品级",
    "安全认证": "安全 认证 3c 检测 食品级 无毒 甲醛",
    "适合": "适合 适用 能用",
    "透气": "透气 闷 捂 热",
}
# Words for compatibility ('适合14吗', '能用吗'): added to any attribute whose name says
# what it fits or suits (适用机型, 适用年龄, 适用人群, 适用肤质, 兼容...).
FITS_WORDS = "适合 适用 能用 可以用 支持 兼容 能吃 可以吃 能穿 能戴 能喝"

# Questions only the host can answer, whatever the shop's facts say.
INTERROGATIVES = re.compile(
    r"[?？]|吗|嘛|么|呢|多少|几|怎么|怎样|如何|有没有|是不是|能不能|可不可以|可以吗|啥|什么|哪|为什么"
    r"|咋|不\s*[?？]?$|没[?？]?$|how|what|which|when|where|why|\bis it\b|\bdo you\b|\bcan i\b",
    re.IGNORECASE,
)

BUYING_INTENT = re.compile(
    r"怎么买|怎么拍|怎么下单|在哪买|哪里买|链接|上链接|求链接|几号链接|想要|要了|拍了|下单|买了|抢|"
    r"还有吗|有货吗|有没有货|什么时候上|多少钱|怎么领|优惠券|库存|补货|[a-z0-9]{1,3}码.*(有|还)|"
    r"\bbuy\b|\blink\b|\border\b",
    re.IGNORECASE,
)

# Quantities: a number with its unit in a fact ('20000mAh', '每袋330g', '6小时') and a
# question asking for that dimension ('多少毫安', '多重', '多久') meet on one marker
# token per dimension, whatever the product or the spelling of the unit.
UNIT_DIMENSIONS: dict[str, tuple[str, ...]] = {
    "量:电量": ("毫安时", "毫安", "mah"),
    "量:功率": ("瓦", "w"),
    "量:重量": ("千克", "公斤", "kg", "克", "g", "斤"),
    "量:容积": ("毫升", "ml", "升", "l"),
    "量:长度": ("厘米", "cm", "毫米", "mm", "寸", "米"),
    "量:时长": ("小时", "h", "分钟", "天", "周", "个月", "年"),
    "量:年龄": ("岁", "月龄"),
}
# Questions for a dimension without a unit after a number.
DIMENSION_QUESTIONS: dict[str, str] = {
    "量:重量": "多重|重不重|重吗|轻不轻|轻吗|几斤|多少斤|多少克|多少g|有多沉",
    "量:时长": "多久|多长时间|几个小时|几小时|多少小时|几天|多少天|几个月|几年|多少年",
    "量:容积": "多少ml|多少毫升|几升|多少升|装多少|能装|多少水",
    "量:电量": "多少毫安|几毫安|多少mah",
    "量:功率": "多少瓦|几瓦|多少w",
    "量:长度": "多长|多宽|多高|多少厘米|多少cm|几厘米",
    "量:年龄": "几岁|多大的孩子|多大孩子|多大宝宝|多大的宝宝|月龄",
}

# The shop's policies, as viewers ask about them. An FAQ entry whose question uses any
# of a topic's words is also found by the others ('保真吗' finds '是正品吗').
POLICY_SYNONYMS: tuple[str, ...] = (
    "发货 几天发 多久发 什么时候发 几天到 多久到 什么时候到 到货 寄出 时效 当天发 次日发 发出 "
    "快递 物流 顺丰 中通 圆通 韵达 申通 京东 邮政 极兔 发什么快递",
    "包邮 邮费 运费 偏远 不包邮",
    "退换 退货 换货 退款 七天无理由 无理由 不合适 运费险 能退 能换 可以退 可以换",
    "正品 保真 真的吗 假的 假货 真假 官方 授权 专柜 假一赔十",
    "发票 开票 专票 普票 抬头",
    "赠品 小样 赠送 送什么 礼品 附赠",
    "优惠券 领券 满减 优惠 折扣 券",
)
