"""China's province-level divisions as channels write them in addresses (short forms)."""

PROVINCES = (
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
)

_SUFFIXES = ("省", "市", "壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "特别行政区")


def province_normalize(value: str) -> str:
    """'上海市' → '上海', '广西壮族自治区' → '广西'; unknown names are returned stripped."""
    name = (value or "").strip()
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in PROVINCES:
            return name[: -len(suffix)]
    return name


def province_is_known(value: str) -> bool:
    return province_normalize(value) in PROVINCES
