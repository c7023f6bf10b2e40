"""The default FAQ of the shop (apparel and home goods sold on Tmall, JD, Douyin and the own mini-program):
categories and articles with answers in Chinese and English and the questions customers ask. Loaded by
`service.services.knowledge.kb_defaults_load` (demo seed, tests); plain data, edited in the UI afterwards.
The answers quote the domain's rules: 7-day no-reason returns, refunds within 2 days."""

CATEGORIES = [
    ("shipping", "物流配送 Shipping"),
    ("returns", "退换货 Returns"),
    ("refunds", "退款 Refunds"),
    ("orders", "订单 Orders"),
    ("payment", "支付与发票 Payment & invoices"),
    ("promotions", "优惠与会员 Coupons & members"),
    ("products", "商品与尺码 Products & sizes"),
    ("after-sales", "售后保障 After-sales"),
    ("cross-border", "跨境购 Cross-border"),
    ("presale", "预售 Pre-sale"),
]

ARTICLES = [
    {
        "code": "shipping-dispatch-time",
        "category": "shipping",
        "title_zh": "付款后多久发货",
        "title_en": "When is my order dispatched",
        "answer_zh": "现货商品在付款后48小时内发货（大促期间72小时内），仓库按付款顺序打包。"
        "发货后您会收到物流单号短信，可在订单详情查看。",
        "answer_en": "In-stock items are dispatched within 48 hours of payment (72 hours during big "
        "sales), packed in order of payment. You receive the tracking number by SMS once the parcel "
        "leaves.",
        "questions_zh": [
            "付款后多久发货",
            "什么时候发货",
            "今天下单今天能发吗",
            "拍下后几天能寄出",
            "还没发货吗",
        ],
        "questions_en": ["When will you ship my order", "How soon is my order dispatched after paying"],
    },
    {
        "code": "shipping-delivery-time",
        "category": "shipping",
        "title_zh": "快递几天能送到",
        "title_en": "How long does delivery take",
        "answer_zh": "发货后江浙沪一般1-2天送达，其他省份2-4天，新疆、西藏等偏远地区5-7天。"
        "遇到天气或节假日可能略有延迟。",
        "answer_en": "After dispatch, delivery takes 1-2 days in Jiangsu, Zhejiang and Shanghai, 2-4 days "
        "elsewhere and 5-7 days to remote regions such as Xinjiang and Tibet. Weather or holidays may add "
        "a day.",
        "questions_zh": [
            "快递几天能到",
            "发货后多久能收到",
            "寄到北京要几天",
            "配送时效是多久",
            "多久能送到",
        ],
        "questions_en": ["How many days does delivery take", "How long until the parcel arrives"],
    },
    {
        "code": "shipping-tracking",
        "category": "shipping",
        "title_zh": "如何查询物流信息",
        "title_en": "How to track my parcel",
        "answer_zh": "在订单详情页点击“查看物流”即可看到快递公司和运单号，也可以用运单号在快递公司官网查询。",
        "answer_en": "Open the order and tap 'Track parcel' to see the carrier and the tracking number; "
        "you can also look the number up on the carrier's website.",
        "questions_zh": ["怎么查物流", "物流单号在哪里看", "我的快递到哪了", "怎么跟踪包裹"],
        "questions_en": ["Where can I track my parcel", "Where do I find the tracking number"],
    },
    {
        "code": "shipping-stuck",
        "category": "shipping",
        "title_zh": "物流信息长时间不更新",
        "title_en": "Tracking has not updated for days",
        "answer_zh": "物流超过48小时未更新，我们会联系快递公司核查；如确认丢件，将为您补发或全额退款，"
        "无需您承担任何费用。",
        "answer_en": "If tracking has not moved for more than 48 hours we chase the carrier; if the "
        "parcel is lost we send a replacement or refund in full at no cost to you.",
        "questions_zh": ["物流一直不更新", "快递好几天没动了", "包裹是不是丢了", "物流停在中转站不动"],
        "questions_en": ["My tracking has not updated for days", "I think my parcel is lost"],
    },
    {
        "code": "shipping-fee",
        "category": "shipping",
        "title_zh": "运费和包邮规则",
        "title_en": "Shipping fees and free shipping",
        "answer_zh": "单笔订单满99元全国包邮（港澳台及海外除外），不满99元收取运费8元；新疆、西藏加收10元。",
        "answer_en": "Orders of 99 yuan or more ship free in mainland China; below that the shipping fee "
        "is 8 yuan, plus 10 yuan to Xinjiang and Tibet.",
        "questions_zh": ["包邮吗", "运费多少钱", "满多少包邮", "偏远地区包邮吗"],
        "questions_en": [
            "Is shipping free",
            "Is delivery free over 99 yuan",
            "How much is the shipping fee",
        ],
    },
    {
        "code": "shipping-courier",
        "category": "shipping",
        "title_zh": "可以指定快递公司吗",
        "title_en": "Can I choose the courier",
        "answer_zh": "默认发中通或韵达；需要顺丰请在下单时备注并补运费差价12元，我们会优先安排。",
        "answer_en": "We ship with ZTO or Yunda by default; for SF Express add a note at checkout and pay "
        "the 12 yuan difference.",
        "questions_zh": ["可以发顺丰吗", "能指定快递吗", "默认发什么快递", "发哪家快递"],
        "questions_en": ["Can you ship with SF Express", "Which courier do you use"],
    },
    {
        "code": "return-seven-day",
        "category": "returns",
        "title_zh": "七天无理由退货",
        "title_en": "7-day no-reason returns",
        "answer_zh": "签收之日起7天内，商品未穿着、未洗涤、吊牌完好，可申请七天无理由退货。"
        "在订单详情点击“申请售后”选择退货即可。",
        "answer_en": "Within 7 days of delivery you can return any item without giving a reason, as long "
        "as it is unworn, unwashed and still has its tags. Choose 'After-sales' > 'Return' on the order.",
        "questions_zh": [
            "支持七天无理由退货吗",
            "不喜欢可以退吗",
            "收到后可以退货吗",
            "七天内能退吗",
            "买了不合适能退吗",
        ],
        "questions_en": ["Can I return it within 7 days", "Do you accept returns without a reason"],
    },
    {
        "code": "return-exempt",
        "category": "returns",
        "title_zh": "哪些商品不支持无理由退货",
        "title_en": "Items that cannot be returned without a reason",
        "answer_zh": "内衣、袜子、泳衣等贴身衣物拆封后、定制刻字商品、"
        "已拆封的床垫及床品芯不支持七天无理由退货，商品页会明确标注“不支持七天无理由”。"
        "质量问题不受此限制。",
        "answer_en": "Underwear, socks and swimwear once unsealed, personalised items, and unsealed "
        "mattresses and duvet inserts cannot be returned without a reason; their product pages say so. "
        "Quality problems are always covered.",
        "questions_zh": [
            "内衣可以退吗",
            "哪些商品不能无理由退货",
            "定制的商品能退吗",
            "拆封了还能退吗",
            "泳衣袜子能退货吗",
        ],
        "questions_en": ["Which items cannot be returned", "Can I return underwear"],
    },
    {
        "code": "return-how",
        "category": "returns",
        "title_zh": "如何申请退货",
        "title_en": "How to request a return",
        "answer_zh": "订单详情 → 申请售后 → 选择退货退款并填写原因，审核通过后按页面地址寄回，"
        "填写退货运单号即可。",
        "answer_en": "Open the order, choose 'After-sales' > 'Return and refund', give the reason; once "
        "approved, send the item to the address shown and enter the return tracking number.",
        "questions_zh": ["怎么申请退货", "退货流程是什么", "退货地址是哪里", "在哪里申请售后"],
        "questions_en": ["How do I return an item", "What is the return address"],
    },
    {
        "code": "return-shipping-cost",
        "category": "returns",
        "title_zh": "退货运费谁承担",
        "title_en": "Who pays for return shipping",
        "answer_zh": "质量问题或发错货由我们承担退货运费；无理由退货运费由您承担，如下单时赠送了运费险，"
        "可获赔付。",
        "answer_en": "We pay return shipping for faulty or wrong items; for no-reason returns you pay it, "
        "unless the order came with return-shipping insurance, which reimburses you.",
        "questions_zh": ["退货运费谁出", "退货要自己付邮费吗", "有运费险吗", "运费险怎么赔"],
        "questions_en": ["Who pays the return postage", "Do I pay for return shipping"],
    },
    {
        "code": "exchange-size",
        "category": "returns",
        "title_zh": "尺码不合适怎么换",
        "title_en": "Exchanging for another size",
        "answer_zh": "签收7天内可申请换货，选择“换货”并填写想要的尺码，收到退回商品后当天发出新尺码，"
        "首次换码运费由我们承担。",
        "answer_en": "Within 7 days of delivery choose 'Exchange' and the size you want; we send the new "
        "size the day your item reaches us and pay shipping for the first exchange.",
        "questions_zh": ["尺码不合适可以换吗", "怎么换大一码", "能换个颜色吗", "换货流程"],
        "questions_en": ["Can I exchange for a different size", "How do I swap the colour"],
    },
    {
        "code": "refund-timing",
        "category": "refunds",
        "title_zh": "退款多久到账",
        "title_en": "When will I get my refund",
        "answer_zh": "仓库签收退货后2天内完成退款（未发货订单取消后即时退款），原路退回，"
        "到账时间以银行或支付宝为准，一般1-3个工作日。",
        "answer_en": "We refund within 2 days of the warehouse receiving your return (immediately for "
        "cancelled orders not yet shipped), to the original payment method; banks take 1-3 working days.",
        "questions_zh": [
            "退款多久到账",
            "退款什么时候到",
            "钱什么时候退给我",
            "退货后多久退款",
            "退款怎么还没到",
        ],
        "questions_en": [
            "How long does a refund take",
            "When will I get my money back",
            "How many days until the refund arrives",
        ],
    },
    {
        "code": "refund-method",
        "category": "refunds",
        "title_zh": "退款退到哪里",
        "title_en": "Where does the refund go",
        "answer_zh": "退款按原支付方式退回：支付宝退回支付宝，微信退回零钱或银行卡，信用卡退回信用卡，"
        "优惠券未过期的同时退回账户。",
        "answer_en": "Refunds go back the way you paid: Alipay to Alipay, WeChat Pay to the wallet or "
        "card, credit cards to the card. Unexpired coupons return to your account.",
        "questions_zh": ["退款退到哪里", "退款是原路返回吗", "退款能退到微信吗", "用了优惠券退款怎么算"],
        "questions_en": [
            "Is the refund sent to my original payment",
            "Do I get my coupon back after a refund",
        ],
    },
    {
        "code": "order-change-address",
        "category": "orders",
        "title_zh": "修改收货地址",
        "title_en": "Changing the delivery address",
        "answer_zh": "订单发货前可在订单详情自行修改地址，或联系客服代改；已发货的订单需联系快递改派，"
        "可能产生费用。",
        "answer_en": "Before dispatch you can change the address on the order yourself or ask us; after "
        "dispatch the carrier has to redirect the parcel, which may cost a fee.",
        "questions_zh": [
            "怎么修改收货地址",
            "地址填错了怎么办",
            "能改一下收货人电话吗",
            "下单后还能改地址吗",
        ],
        "questions_en": ["Can I change my delivery address", "I entered the wrong address"],
    },
    {
        "code": "order-cancel",
        "category": "orders",
        "title_zh": "如何取消订单",
        "title_en": "How to cancel an order",
        "answer_zh": "未发货的订单可在订单详情点击“取消订单”，款项即时原路退回；"
        "已发货的订单请拒收或签收后申请退货。",
        "answer_en": "Orders not yet dispatched can be cancelled on the order page and are refunded at "
        "once; once shipped, refuse the parcel or return it after delivery.",
        "questions_zh": ["怎么取消订单", "拍错了想取消", "订单不想要了", "已经发货了还能取消吗"],
        "questions_en": ["How do I cancel my order", "I ordered by mistake and want to cancel"],
    },
    {
        "code": "order-combine",
        "category": "orders",
        "title_zh": "多个订单能合并发货吗",
        "title_en": "Combining several orders in one parcel",
        "answer_zh": "同一收货地址、均未发货的订单可以合并发货，请在付款后2小时内联系客服并提供订单号。",
        "answer_en": "Unshipped orders to the same address can go in one parcel; contact us with the "
        "order numbers within 2 hours of paying.",
        "questions_zh": ["两个订单能一起发吗", "可以合并发货吗", "分开买的能一起寄吗"],
        "questions_en": ["Can you combine my orders into one parcel", "Can two orders ship together"],
    },
    {
        "code": "payment-methods",
        "category": "payment",
        "title_zh": "支持哪些支付方式",
        "title_en": "Payment methods",
        "answer_zh": "支持支付宝、微信支付、银联及各大银行信用卡，天猫店支持花呗分期，京东店支持白条；"
        "暂不支持货到付款。",
        "answer_en": "We accept Alipay, WeChat Pay, UnionPay and major credit cards; Huabei instalments "
        "on Tmall and Baitiao on JD. Cash on delivery is not available.",
        "questions_zh": [
            "可以用花呗吗",
            "支持哪些付款方式",
            "能货到付款吗",
            "可以分期付款吗",
            "支持信用卡吗",
        ],
        "questions_en": [
            "Which payment methods do you accept",
            "Can I pay by credit card or Alipay",
            "Can I pay cash on delivery",
        ],
    },
    {
        "code": "payment-failed",
        "category": "payment",
        "title_zh": "付款失败怎么办",
        "title_en": "Payment failed",
        "answer_zh": "请确认银行卡余额和单笔限额，或更换支付方式重试；如已扣款但订单显示未付款，"
        "款项会在24小时内自动退回。",
        "answer_en": "Check your card balance and limits or try another payment method; if you were "
        "charged but the order shows unpaid, the money returns automatically within 24 hours.",
        "questions_zh": ["付款失败怎么办", "钱扣了订单却显示未付款", "支付不成功", "重复扣款了"],
        "questions_en": ["My payment failed", "I was charged but the order is unpaid"],
    },
    {
        "code": "invoice",
        "category": "payment",
        "title_zh": "如何开具发票",
        "title_en": "How to get an invoice",
        "answer_zh": "所有订单均可开具电子普通发票，确认收货后在订单详情点击“申请发票”填写抬头和税号，"
        "1-3个工作日发送到邮箱。",
        "answer_en": "Every order can have an electronic VAT invoice (fapiao): after confirming receipt "
        "choose 'Request invoice' on the order, enter the title and tax number; it is emailed within 1-3 "
        "working days.",
        "questions_zh": [
            "可以开发票吗",
            "怎么开发票",
            "发票什么时候给",
            "能开电子发票吗",
            "公司报销要发票",
        ],
        "questions_en": ["Can I get an invoice", "How do I request a fapiao"],
    },
    {
        "code": "invoice-special",
        "category": "payment",
        "title_zh": "增值税专用发票和抬头修改",
        "title_en": "Special VAT invoices and changing the invoice title",
        "answer_zh": "企业客户可申请增值税专用发票，请提供公司名称、税号、地址电话和开户行账号；"
        "发票抬头开错可在30天内申请重开。",
        "answer_en": "Companies can ask for a special VAT invoice with the company name, tax number, "
        "address, phone and bank account; a wrong invoice title can be reissued within 30 days.",
        "questions_zh": ["能开专票吗", "发票抬头开错了", "增值税专用发票怎么开", "发票能重开吗"],
        "questions_en": ["Can you issue a special VAT invoice", "The invoice title is wrong"],
    },
    {
        "code": "coupon-use",
        "category": "promotions",
        "title_zh": "优惠券怎么用",
        "title_en": "How to use a coupon",
        "answer_zh": "结算页会自动选择可用的最优优惠券；每笔订单限用一张店铺券，可与平台券叠加，"
        "过期或未满足门槛的券不可使用。",
        "answer_en": "Checkout picks the best coupon you can use; one shop coupon per order, combinable "
        "with platform coupons. Expired coupons or orders below the minimum spend cannot use them.",
        "questions_zh": ["优惠券怎么用", "优惠券为什么用不了", "领的券在哪里", "两张优惠券能一起用吗"],
        "questions_en": ["How do I use my coupon", "Why can't I apply the discount code"],
    },
    {
        "code": "member-points",
        "category": "promotions",
        "title_zh": "会员积分怎么获得和使用",
        "title_en": "Member points",
        "answer_zh": "每消费1元得1积分，评价晒图再得20积分；100积分可抵1元，也可在会员中心兑换优惠券。"
        "积分有效期至次年年底。",
        "answer_en": "You earn 1 point per yuan spent and 20 more for a review with photos; 100 points "
        "are worth 1 yuan at checkout or can be swapped for coupons. Points expire at the end of the "
        "following year.",
        "questions_zh": ["积分怎么用", "积分可以抵现吗", "怎么获得积分", "积分会过期吗", "会员有什么权益"],
        "questions_en": ["How do member points work", "Can I use my points to pay"],
    },
    {
        "code": "price-protection",
        "category": "promotions",
        "title_zh": "价格保护（价保）",
        "title_en": "Price protection",
        "answer_zh": "付款后15天内同一商品降价（不含直播间专享价和限量秒杀），可申请价保，"
        "差价以优惠券或原路退回。",
        "answer_en": "If the same item gets cheaper within 15 days of payment (live-stream-only prices "
        "and flash sales excepted), claim price protection and we refund the difference.",
        "questions_zh": ["买完降价了能补差价吗", "有价保吗", "怎么申请价保", "刚买就便宜了"],
        "questions_en": ["The price dropped after I bought it", "Do you offer price protection"],
    },
    {
        "code": "size-guide",
        "category": "products",
        "title_zh": "尺码怎么选",
        "title_en": "Size guide",
        "answer_zh": "请参考商品页的尺码表，按胸围、腰围实测选码；身高165cm体重50kg左右一般选M码，"
        "两码之间建议选大一码。",
        "answer_en": "Use the size chart on the product page and your chest and waist measurements; "
        "around 165 cm and 50 kg usually takes M. Between two sizes, take the larger.",
        "questions_zh": ["尺码怎么选", "我穿什么码", "身高165体重50穿多大", "有尺码表吗", "偏大还是偏小"],
        "questions_en": ["Which size should I choose", "Does this run small or large"],
    },
    {
        "code": "product-care",
        "category": "products",
        "title_zh": "面料和洗涤保养",
        "title_en": "Fabric and care",
        "answer_zh": "面料成分见商品页和洗标；棉麻类建议30度以下手洗或轻柔机洗、反面晾干，深色单独洗涤，"
        "羊毛和真丝请干洗。",
        "answer_en": "The fabric is on the product page and the care label; wash cotton and linen below "
        "30 degrees by hand or on a gentle cycle, inside out, dark colours separately; dry-clean wool and "
        "silk.",
        "questions_zh": ["什么面料", "可以机洗吗", "能用洗衣机洗吗", "怎么洗不会缩水", "会掉色吗"],
        "questions_en": ["Can I machine wash it", "What is the fabric made of"],
    },
    {
        "code": "product-restock",
        "category": "products",
        "title_zh": "缺货什么时候补货",
        "title_en": "Out of stock and restocking",
        "answer_zh": "缺货的尺码一般7-15天补货，点击商品页“到货通知”，补货后第一时间短信提醒您。",
        "answer_en": "Sold-out sizes are usually restocked in 7-15 days; tap 'Notify me' on the product "
        "page and we text you when it is back.",
        "questions_zh": ["什么时候补货", "断码了还会有吗", "缺货了怎么办", "到货能通知我吗"],
        "questions_en": ["When will this be back in stock", "Can you notify me when it is restocked"],
    },
    {
        "code": "damaged-parcel",
        "category": "after-sales",
        "title_zh": "收到的包裹破损",
        "title_en": "The parcel arrived damaged",
        "answer_zh": "非常抱歉！请拍下外包装和商品破损处照片，在订单中申请售后并上传，"
        "我们核实后免费补发或全额退款，无需寄回破损商品。",
        "answer_en": "We are sorry! Take photos of the box and the damage, upload them with an "
        "after-sales request on the order, and we send a replacement or refund in full; no need to send "
        "it back.",
        "questions_zh": ["收到的东西坏了", "包裹破损了怎么办", "快递压坏了", "商品有破损"],
        "questions_en": ["My parcel arrived damaged", "The item was broken on arrival"],
    },
    {
        "code": "wrong-item",
        "category": "after-sales",
        "title_zh": "发错货或少发漏发",
        "title_en": "Wrong or missing item",
        "answer_zh": "请拍下收到的商品和吊牌照片发给客服，核实后我们承担运费为您换发正确商品；"
        "少发漏发的立即补寄。",
        "answer_en": "Send us photos of what you received and its tag; we exchange it for the right item "
        "at our cost, and send any missing item straight away.",
        "questions_zh": [
            "发错货了",
            "收到的颜色不对",
            "少发了一件",
            "尺码发错了",
            "包裹里少东西",
            "发来的款式和买的不一样",
        ],
        "questions_en": [
            "You sent me the wrong item",
            "I received the wrong size or colour",
            "An item is missing from my parcel",
        ],
    },
    {
        "code": "quality-issue",
        "category": "after-sales",
        "title_zh": "商品质量问题",
        "title_en": "Quality problems",
        "answer_zh": "开线、掉色、起球等质量问题，签收30天内可申请退换，来回运费由我们承担；"
        "请上传问题部位照片以便快速处理。",
        "answer_en": "For quality problems such as loose seams, fading or pilling you can return or "
        "exchange within 30 days of delivery and we pay shipping both ways; upload photos of the problem.",
        "questions_zh": ["衣服开线了", "洗了一次就掉色", "质量有问题怎么处理", "穿了几次就起球"],
        "questions_en": ["The seam came apart", "What if the product has a defect"],
    },
    {
        "code": "warranty",
        "category": "after-sales",
        "title_zh": "家居用品保修",
        "title_en": "Warranty on home goods",
        "answer_zh": "小家电和灯具享受一年保修，床垫五年保修（非人为损坏）；保修期内凭订单号申请维修或更换。",
        "answer_en": "Small appliances and lamps have a one-year warranty, mattresses five years (not "
        "covering misuse); quote the order number to have it repaired or replaced.",
        "questions_zh": ["保修多久", "坏了能保修吗", "床垫保修几年", "电器有质保吗"],
        "questions_en": ["How long is the warranty", "Is the lamp covered by warranty"],
    },
    {
        "code": "cross-border-duties",
        "category": "cross-border",
        "title_zh": "跨境商品的税费",
        "title_en": "Duties on cross-border items",
        "answer_zh": "跨境商品按跨境电商综合税（一般为9.1%）征收，已在结算页显示并代缴，无需另付；"
        "单次限额5000元、年度限额26000元。",
        "answer_en": "Cross-border items carry the cross-border e-commerce tax (usually 9.1 %), shown at "
        "checkout and paid by us on your behalf; limits are 5,000 yuan per order and 26,000 yuan a year.",
        "questions_zh": ["海外购要交税吗", "跨境商品要交关税吗", "税费怎么算", "有没有额度限制"],
        "questions_en": ["Do I have to pay customs duty", "Is import tax included in the price"],
    },
    {
        "code": "cross-border-identity",
        "category": "cross-border",
        "title_zh": "跨境订单为什么要实名认证",
        "title_en": "ID check for cross-border orders",
        "answer_zh": "海关要求跨境订单的支付人与订购人身份信息一致，请填写与支付账户一致的姓名和身份证号，"
        "信息仅用于清关。",
        "answer_en": "Customs requires the payer's name and ID number to match the buyer's for "
        "cross-border orders; the details are used for customs clearance only.",
        "questions_zh": ["为什么要填身份证", "清关需要实名吗", "身份证信息安全吗"],
        "questions_en": ["Why do you need my ID number", "Is my ID needed for customs clearance"],
    },
    {
        "code": "presale-delivery",
        "category": "presale",
        "title_zh": "预售商品什么时候发",
        "title_en": "When pre-sale items ship",
        "answer_zh": "预售商品按商品页标注的日期发货，通常付尾款后15天内发出；如不能按时发货，"
        "我们会提前通知并可无责取消。",
        "answer_en": "Pre-sale items ship on the date shown on the product page, usually within 15 days "
        "of the final payment; if we cannot make it we tell you in advance and you may cancel freely.",
        "questions_zh": ["预售什么时候发货", "预售款要等多久", "预售能提前发吗", "预售的衣服几号发"],
        "questions_en": ["When does the pre-order ship", "How long do I wait for a pre-sale item"],
    },
    {
        "code": "presale-deposit",
        "category": "presale",
        "title_zh": "预售定金和尾款",
        "title_en": "Pre-sale deposits and final payment",
        "answer_zh": "预售需先付定金，在尾款时间内支付尾款；未付尾款的定金不退（因商家原因除外），"
        "定金可享膨胀抵扣。",
        "answer_en": "Pre-sale items need a deposit first and the balance in the final-payment window; "
        "the deposit is not refunded if the balance is not paid (unless the fault is ours), and it counts "
        "extra towards the price.",
        "questions_zh": ["定金能退吗", "尾款什么时候付", "忘记付尾款了怎么办", "定金膨胀怎么算"],
        "questions_en": ["Is the deposit refundable", "When do I pay the balance"],
    },
]
