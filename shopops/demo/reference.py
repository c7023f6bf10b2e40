"""Fixed reference content for the demo data: channels, warehouses, provinces, catalogue templates, names.

Everything here is plain data. The generator in `seed.py` draws from it with numpy, so that a seed and an
end date always give the same shop.
"""

from datetime import date

# Channels: (code, name, kind, commission_rate, payment_fee_rate, settlement_days, currency, order share).
# Every channel is in CNY for now: the Shopify store settles in CNY until exchange rates arrive
# (a later issue), then its currency becomes the store's own.
CHANNELS = [
    ("tmall", "天猫", "marketplace", "0.0500", "0.0060", 10, "CNY", 0.30),
    ("jd", "京东", "marketplace", "0.0500", "0.0060", 15, "CNY", 0.20),
    ("pinduoduo", "拼多多", "marketplace", "0.0080", "0.0060", 7, "CNY", 0.20),
    ("douyin", "抖音", "marketplace", "0.1000", "0.0060", 14, "CNY", 0.15),
    ("own_store", "自营小程序商城", "own_store", "0.0000", "0.0060", 1, "CNY", 0.10),
    ("shopify", "Shopify", "cross_border", "0.0200", "0.0290", 5, "CNY", 0.05),
]

# Payment methods per channel (same order as CHANNELS): method -> probability.
PAYMENT_METHODS = ["alipay", "wechat", "card", "cod"]
PAYMENT_MIX = [
    [0.88, 0.00, 0.09, 0.03],  # tmall: Alipay, some credit cards (花呗 counts as alipay), a little COD
    [0.00, 0.55, 0.33, 0.12],  # jd: WeChat Pay, bank cards, 货到付款 is common on JD
    [0.30, 0.70, 0.00, 0.00],  # pinduoduo
    [0.40, 0.50, 0.00, 0.10],  # douyin: some COD for live-stream impulse buys
    [0.00, 1.00, 0.00, 0.00],  # own mini-program store: WeChat Pay only
    [0.05, 0.00, 0.95, 0.00],  # shopify: cards
]

# Warehouses: (code, name, region, province, provinces served nearest first).
WAREHOUSES = [
    ("east", "上海华东仓", "华东", "上海", ["上海", "江苏", "浙江", "安徽", "江西", "湖北"]),
    ("south", "广州华南仓", "华南", "广东", ["广东", "广西", "福建", "海南", "湖南"]),
    (
        "north",
        "北京华北仓",
        "华北",
        "北京",
        ["北京", "天津", "河北", "山东", "山西", "河南", "内蒙古", "辽宁", "吉林", "黑龙江"],
    ),
    (
        "west",
        "成都西南仓",
        "西南",
        "四川",
        ["四川", "重庆", "云南", "贵州", "陕西", "甘肃", "宁夏", "青海", "西藏", "新疆"],
    ),
]
# When the nearest warehouse does not stock a SKU, try the others in this order (by warehouse index).
WAREHOUSE_FALLBACK = [
    [0, 1, 2, 3],  # east
    [1, 0, 3, 2],  # south
    [2, 0, 3, 1],  # north
    [3, 1, 0, 2],  # west
]

# Mainland provinces with population in millions (2020 census), weighted up for the richer coastal
# provinces that buy more online.
PROVINCES = [
    ("广东", 126, 1.4),
    ("山东", 101, 1.0),
    ("河南", 99, 0.85),
    ("江苏", 85, 1.35),
    ("四川", 84, 0.95),
    ("河北", 75, 0.85),
    ("湖南", 66, 0.9),
    ("浙江", 65, 1.5),
    ("安徽", 61, 0.9),
    ("湖北", 58, 0.95),
    ("广西", 50, 0.8),
    ("云南", 47, 0.75),
    ("江西", 45, 0.85),
    ("辽宁", 43, 0.9),
    ("福建", 41, 1.2),
    ("陕西", 40, 0.9),
    ("贵州", 39, 0.7),
    ("山西", 35, 0.8),
    ("重庆", 32, 1.0),
    ("黑龙江", 32, 0.75),
    ("新疆", 26, 0.55),
    ("甘肃", 25, 0.6),
    ("上海", 25, 1.8),
    ("内蒙古", 24, 0.7),
    ("吉林", 24, 0.75),
    ("北京", 22, 1.8),
    ("天津", 14, 1.2),
    ("海南", 10, 0.9),
    ("宁夏", 7, 0.7),
    ("青海", 6, 0.6),
    ("西藏", 4, 0.5),
]
REMOTE_PROVINCES = {"新疆", "西藏", "青海"}

# Catalogue: category (code, name, consumable?) and its product types
# (type name, lowest and highest list price in yuan, weight range in kg, variant kind).
CATEGORIES = [
    (
        "cleaning-appliances",
        "清洁电器",
        False,
        [
            ("无线吸尘器", 499, 1299, 1.5, 3.0, "colour"),
            ("扫地机器人", 799, 1299, 3.0, 4.5, "edition"),
            ("洗地机", 999, 1299, 4.0, 5.5, "edition"),
            ("除螨仪", 159, 399, 1.0, 1.8, "colour"),
            ("手持吸尘器", 129, 299, 0.6, 1.2, "colour"),
            ("蒸汽拖把", 199, 399, 1.8, 2.6, "colour"),
            ("电动拖把", 299, 599, 1.6, 2.4, "edition"),
        ],
    ),
    (
        "personal-care",
        "个护电器",
        False,
        [
            ("电动牙刷", 99, 399, 0.2, 0.4, "colour"),
            ("冲牙器", 129, 399, 0.3, 0.6, "colour"),
            ("高速吹风机", 199, 699, 0.4, 0.7, "colour"),
            ("电动剃须刀", 129, 499, 0.2, 0.4, "edition"),
            ("卷发棒", 89, 299, 0.3, 0.5, "colour"),
            ("理发器", 69, 199, 0.2, 0.4, "edition"),
            ("美容仪", 299, 1199, 0.2, 0.4, "edition"),
            ("智能体脂秤", 59, 199, 1.2, 1.8, "colour"),
        ],
    ),
    (
        "kitchen-appliances",
        "厨房小电",
        False,
        [
            ("电热水壶", 79, 199, 1.0, 1.5, "colour"),
            ("空气炸锅", 199, 599, 3.0, 5.0, "capacity"),
            ("破壁机", 299, 999, 3.5, 5.0, "edition"),
            ("便携榨汁杯", 79, 199, 0.4, 0.7, "colour"),
            ("电饭煲", 199, 699, 2.5, 4.0, "capacity"),
            ("养生壶", 99, 299, 1.2, 1.8, "capacity"),
            ("早餐机", 99, 299, 1.5, 2.5, "colour"),
            ("电动打蛋器", 59, 149, 0.5, 0.9, "colour"),
        ],
    ),
    (
        "home-appliances",
        "生活电器",
        False,
        [
            ("加湿器", 99, 399, 1.0, 2.0, "capacity"),
            ("空气净化器", 599, 1299, 5.0, 8.0, "edition"),
            ("电暖器", 199, 599, 2.5, 5.0, "edition"),
            ("除湿机", 699, 1299, 8.0, 12.0, "capacity"),
            ("空气循环扇", 199, 499, 2.5, 4.0, "colour"),
            ("挂烫机", 129, 399, 1.5, 2.5, "colour"),
            ("桌面小风扇", 39, 99, 0.3, 0.6, "colour"),
        ],
    ),
    (
        "cleaning-supplies",
        "清洁用品",
        True,
        [
            ("洗衣凝珠", 29, 79, 0.4, 1.0, "pack"),
            ("浓缩洗衣液", 29, 89, 1.0, 2.2, "pack"),
            ("厨房油污净", 29, 59, 0.5, 0.8, "pack"),
            ("马桶清洁剂", 29, 49, 0.5, 0.8, "pack"),
            ("地板清洁液", 29, 69, 1.0, 2.0, "pack"),
            ("厨房清洁湿巾", 29, 59, 0.3, 0.6, "pack"),
            ("除菌喷雾", 29, 69, 0.3, 0.6, "pack"),
            ("洗碗机洗涤块", 49, 129, 0.6, 1.2, "pack"),
        ],
    ),
    (
        "accessories",
        "配件耗材",
        True,
        [
            ("电动牙刷替换刷头", 39, 129, 0.05, 0.15, "pack"),
            ("吸尘器滤网", 39, 99, 0.1, 0.3, "pack"),
            ("扫地机边刷滚刷套装", 49, 129, 0.2, 0.5, "pack"),
            ("洗地机滚刷", 59, 149, 0.2, 0.5, "pack"),
            ("净化器滤芯", 99, 399, 0.8, 1.6, "pack"),
            ("加湿器滤芯", 39, 99, 0.1, 0.3, "pack"),
            ("冲牙器喷头", 39, 89, 0.05, 0.1, "pack"),
        ],
    ),
    (
        "home-storage",
        "收纳家居",
        False,
        [
            ("真空压缩收纳袋", 29, 89, 0.4, 1.0, "pack"),
            ("桌面收纳盒", 29, 79, 0.3, 0.8, "colour"),
            ("防滑衣架", 29, 69, 0.8, 1.5, "pack"),
            ("脏衣篮", 39, 129, 0.6, 1.2, "colour"),
            ("鞋柜收纳架", 49, 199, 1.5, 3.5, "colour"),
        ],
    ),
    (
        "personal-wash",
        "个人洗护",
        True,
        [
            ("泡沫洗手液", 29, 59, 0.3, 0.6, "pack"),
            ("香氛沐浴露", 39, 99, 0.6, 1.2, "pack"),
            ("氨基酸洗发水", 49, 129, 0.5, 1.0, "pack"),
            ("美白牙膏", 29, 69, 0.2, 0.5, "pack"),
            ("漱口水", 29, 59, 0.5, 1.0, "pack"),
        ],
    ),
]

# Variants per kind: (label, price multiplier, weight multiplier).
VARIANTS = {
    "colour": [
        ("白色", 1.0, 1.0),
        ("星空灰", 1.0, 1.0),
        ("樱花粉", 1.0, 1.0),
        ("雾霾蓝", 1.0, 1.0),
        ("曜石黑", 1.05, 1.0),
    ],
    "edition": [("标准版", 1.0, 1.0), ("Pro版", 1.35, 1.1), ("礼盒装", 1.15, 1.3)],
    "capacity": [("小容量", 0.85, 0.85), ("标准容量", 1.0, 1.0), ("大容量", 1.25, 1.25)],
    "pack": [("单件装", 1.0, 1.0), ("2件装", 1.8, 2.0), ("3件装", 2.5, 3.0), ("家庭囤货装", 3.2, 4.0)],
}

# House brands (fictional).
BRANDS = ["净朗", "素清", "暖居", "舒米", "洁小白", "绿叶家", "轻氧", "小屿"]
SERIES_LETTERS = ["S", "V", "X", "A", "M", "T", "Q", "F"]

# Suppliers: factory towns and name parts, per category index (what the town is known for).
SUPPLIER_TOWNS = [
    ("宁波", "电器"),
    ("慈溪", "电器"),
    ("佛山", "电器"),
    ("中山", "小家电"),
    ("深圳", "智能科技"),
    ("东莞", "电子"),
    ("苏州", "电器"),
    ("广州", "日化"),
    ("义乌", "日用品"),
    ("厦门", "家居"),
    ("台州", "塑料制品"),
    ("杭州", "日化"),
    ("汕头", "塑胶"),
    ("余姚", "电器"),
    ("顺德", "电器"),
    ("上海", "日化"),
]
SUPPLIER_WORDS = [
    "美",
    "佳",
    "恒",
    "华",
    "德",
    "新",
    "宏",
    "康",
    "信",
    "达",
    "通",
    "兴",
    "瑞",
    "丰",
    "泰",
    "源",
]

# Chinese names: common surnames (with rough frequency) and given-name characters.
SURNAMES = [
    ("王", 7.1),
    ("李", 7.0),
    ("张", 6.7),
    ("刘", 5.4),
    ("陈", 4.5),
    ("杨", 3.1),
    ("黄", 2.3),
    ("赵", 2.2),
    ("吴", 2.0),
    ("周", 1.9),
    ("徐", 1.5),
    ("孙", 1.5),
    ("马", 1.3),
    ("朱", 1.3),
    ("胡", 1.2),
    ("郭", 1.1),
    ("何", 1.1),
    ("高", 1.0),
    ("林", 1.0),
    ("罗", 0.9),
    ("郑", 0.9),
    ("梁", 0.8),
    ("谢", 0.7),
    ("宋", 0.6),
    ("唐", 0.6),
    ("许", 0.6),
    ("韩", 0.6),
    ("冯", 0.6),
    ("邓", 0.6),
    ("曹", 0.5),
    ("彭", 0.5),
    ("曾", 0.5),
    ("肖", 0.5),
    ("田", 0.5),
    ("董", 0.5),
    ("袁", 0.4),
    ("潘", 0.4),
    ("于", 0.4),
    ("蒋", 0.4),
    ("蔡", 0.4),
    ("余", 0.4),
    ("杜", 0.4),
    ("叶", 0.4),
    ("程", 0.4),
    ("苏", 0.3),
    ("魏", 0.3),
    ("吕", 0.3),
    ("丁", 0.3),
    ("任", 0.3),
    ("沈", 0.3),
    ("姚", 0.3),
    ("卢", 0.3),
    ("姜", 0.3),
    ("崔", 0.3),
    ("钟", 0.3),
    ("谭", 0.3),
    ("陆", 0.3),
    ("汪", 0.3),
    ("范", 0.2),
    ("金", 0.2),
    ("石", 0.2),
    ("廖", 0.2),
    ("贾", 0.2),
    ("夏", 0.2),
]
GIVEN_CHARS = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华文辉鹏玲凤建林红飞斌宇浩然子轩梓涵欣怡"
    "雨桐佳琪晨阳思远一鸣可馨诗雅俊豪嘉怡晓东海燕春梅志强宏伟婷婷雪莹晶晶家乐博文天佑若曦心怡"
)

# Chinese New Year (春节) dates, for the 年货节 (New-Year shopping festival) and the holiday dip.
SPRING_FESTIVAL = {
    2015: date(2015, 2, 19),
    2016: date(2016, 2, 8),
    2017: date(2017, 1, 28),
    2018: date(2018, 2, 16),
    2019: date(2019, 2, 5),
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
    2031: date(2031, 1, 23),
    2032: date(2032, 2, 11),
    2033: date(2033, 1, 31),
    2034: date(2034, 2, 19),
    2035: date(2035, 2, 8),
    2036: date(2036, 1, 28),
    2037: date(2037, 2, 15),
    2038: date(2038, 2, 4),
    2039: date(2039, 1, 24),
    2040: date(2040, 2, 12),
}

# Share of orders per hour of the shop-local day: quiet at night, a lunch plateau, an evening peak.
HOUR_PROFILE = [
    2.0,
    1.0,
    0.5,
    0.3,
    0.2,
    0.3,
    0.7,
    1.6,
    3.0,
    4.5,
    5.5,
    5.5,
    5.5,
    5.3,
    5.3,
    5.3,
    5.0,
    4.6,
    4.5,
    5.5,
    7.0,
    8.0,
    7.5,
    5.0,
]
# On the big festival days the sale opens at midnight (and the final wave at 20:00).
PEAK_HOUR_PROFILE = [
    22.0,
    6.0,
    2.0,
    0.8,
    0.4,
    0.4,
    0.8,
    1.5,
    2.5,
    3.5,
    4.0,
    4.0,
    4.0,
    3.8,
    3.8,
    3.8,
    3.6,
    3.4,
    3.5,
    4.5,
    8.0,
    7.0,
    6.0,
    4.5,
]
# Monday .. Sunday.
WEEKDAY_FACTOR = [0.94, 0.92, 0.93, 0.96, 1.02, 1.13, 1.10]
