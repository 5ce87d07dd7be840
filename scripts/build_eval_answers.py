"""Build the project's own answer evaluation sets (tests/data/eval_answers/*.jsonl).

Written before any tuning, in wordings of our own, against knowledge_base/samples and the fixture base in
tests/data/eval_answers/fixture_kb. Each question carries its phrasing `style`; tuning uses only the styles
in TUNE_STYLES, the held-out figures come from the others (docs/eval/answers_heldout.md).

    python scripts/build_eval_answers.py      # rewrites the jsonl files (deterministic)
"""

from __future__ import annotations

import json
import random
import re
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data" / "eval_answers"
SAMPLES = ROOT / "knowledge_base" / "samples"
FIXTURE = OUT / "fixture_kb"

TUNE_STYLES = ("plain", "polite", "partial", "everyday", "typo_tune")
TEST_STYLES = ("colloquial", "relayed", "typo")

# doc_id: (full name, part of the name, everyday name, name with a typo)
ITEMS: dict[str, tuple[str, str, str, str]] = {
    "residence-permit": ("居住证申领", "居住证", "外地人办的那个居住证", "居注证"),
    "id-card": ("居民身份证换领", "身份证", "二代身份证", "身分证"),
    "food-business-license": ("食品经营许可证", "食品经营许可", "开饭馆要的食品许可证", "食品经营许可症"),
    "individual-business-license": ("个体工商户营业执照", "个体户执照", "摆个小店要的个体执照", "个体工商户营业执造"),
    "enterprise-establishment": ("企业开办", "开办企业", "开个公司", "企业开扮"),
    "unemployment-benefit": ("失业保险金申领", "失业保险金", "失业金", "失业保显金"),
    "work-injury-recognition": ("工伤认定申请", "工伤认定", "上班受伤算工伤", "工伤认顶"),
    "maternity-insurance-allowance": ("生育津贴申领", "生育津贴", "生孩子的津贴", "生育金贴"),
    "housing-fund-withdrawal-rent": ("租房提取住房公积金", "租房提取公积金", "租房子取公积金", "租房提取公积进"),
    "housing-fund-withdrawal-purchase": ("购房提取住房公积金", "购房提取公积金", "买了房子把公积金取出来", "购房提取公鸡金"),
    "housing-fund-loan": ("住房公积金个人住房贷款", "公积金贷款", "用公积金贷款买房", "公积金代款"),
    "housing-fund-withdrawal-retirement": ("退休销户提取住房公积金", "退休提取公积金", "退休了把公积金全取出来", "退休销护提取公积金"),
    "hukou-transfer": ("户口迁入", "户口迁入办理", "把户口迁过来", "户口签入"),
    "points-based-hukou": ("积分落户申报", "积分落户", "攒积分落户口", "积分落护"),
    "minimum-living-allowance": ("最低生活保障申请", "低保申请", "吃低保", "低饱申请"),
    "medical-insurance-out-of-town-filing": ("医保异地就医备案", "异地就医备案", "去外地看病医保备案", "异地就医被案"),
    "chronic-special-disease-outpatient": ("门诊慢特病待遇认定", "慢特病认定", "慢性病门诊报销", "门诊慢特并认定"),
    "disability-two-subsidies": ("残疾人两项补贴申领", "残疾人两项补贴", "残疾人的生活补贴和护理补贴", "残疾人两项不贴"),
    "elderly-allowance-subsidy": ("高龄津贴申领", "高龄津贴", "老人的高龄补贴", "高龄金贴"),
    "kindergarten-enrollment": ("幼儿园入园报名", "入园报名", "孩子上幼儿园报名", "幼儿园入圆报名"),
    "primary-school-enrollment": ("小学入学", "小学入学报名", "孩子上小学", "小学入穴"),
    "labor-dispute-arbitration": ("劳动人事争议仲裁申请", "劳动仲裁", "跟单位打劳动仲裁", "劳动仲栽"),
    "wage-arrears-complaint": ("拖欠工资投诉", "欠薪投诉", "老板不发工资投诉", "拖欠工资投述"),
    "pension-insurance-transfer": ("养老保险关系转移接续", "养老保险转移", "把社保养老转到本市", "养老保险关系转一"),
    "e-bike-registration-charging": ("电动自行车登记上牌", "电动自行车上牌", "电动车上牌照", "电动自行车登记上排"),
    "pension-employee-benefit-claim": ("职工退休待遇申领", "退休待遇申领", "办退休领养老金", "职工退休待遇申岭"),
    "resident-medical-insurance": ("城乡居民基本医疗保险参保缴费", "居民医保参保", "交居民医保", "城乡居民医疗保显参保"),
    "fx-dog-registration": ("养犬登记证核发", "养犬登记", "给狗上户口办狗证", "养犬登纪"),
    "fx-pet-export": ("携带宠物犬猫出境检疫", "宠物出境检疫", "带猫狗出国", "宠物出境检役"),
    "fx-birth-certificate-reissue": ("出生医学证明补发", "出生证明补办", "孩子出生证丢了补办", "出生医学证名补发"),
    "fx-senior-card": ("老年人优待证办理", "老年人优待证", "老人的敬老优待卡", "老年人优代证"),
    "fx-no-criminal-record": ("无犯罪记录证明开具", "无犯罪记录证明", "开个无犯罪证明", "无犯罪纪录证明"),
    "fx-outdoor-advertising": ("户外广告设施设置许可", "户外广告设置许可", "店门口挂广告牌要的许可", "户外广告设施设置许克"),
    "fx-public-place-hygiene": ("公共场所卫生许可证核发", "公共场所卫生许可证", "开理发店要的卫生许可证", "公共场所卫生许可正"),
    "fx-construction-waste": ("建筑垃圾消纳处置核准", "建筑垃圾消纳", "装修垃圾清运的审批", "建筑垃圾消那处置"),
    "fx-blood-donor-reimbursement": ("无偿献血者用血费用报销", "献血者用血报销", "献过血家里人用血报销", "无偿献血者用血费用报消"),
    "fx-teacher-qualification": ("中小学教师资格认定", "教师资格认定", "拿教师资格证", "中小学教师资格认订"),
}

# How each kind is asked, per phrasing style ({x}: the item as that style names it).
ASK: dict[str, dict[str, list[str]]] = {
    "phone": {
        "plain": ["{x}的咨询电话是多少？", "{x}有没有联系电话？", "{x}可以打哪个号码咨询？"],
        "polite": ["您好，麻烦告诉我一下{x}的咨询电话，谢谢！", "请问{x}方面有联系电话吗？辛苦了", "劳驾问下{x}的电话号码，多谢"],
        "partial": ["{x}打什么电话问？", "{x}电话多少", "{x}的热线号码"],
        "colloquial": ["{x}这个事我想打电话问问，号码给我一个呗", "关于{x}，有啥电话能打过去问的不", "{x}找人问的话拨哪个号啊"],
        "relayed": ["来电人问：{x}的咨询电话是多少？", "市民来电想要{x}的联系方式", "有位大爷打进来，想知道{x}能打哪个电话"],
        "typo": ["{x}的咨询电话是多少", "{x}电话号码多少啊", "{x}打哪个电话"],
    },
    "location": {
        "plain": ["{x}在哪里办理？", "{x}的办理地点在哪？", "{x}去哪个窗口办？"],
        "polite": ["您好，请问{x}要到什么地方去办呢？谢谢", "麻烦您告诉我{x}的办理地址，非常感谢", "打扰一下，{x}应该去哪儿办理？"],
        "partial": ["{x}在哪办", "{x}去哪里申请", "{x}办理窗口在哪"],
        "colloquial": ["{x}得跑哪儿去弄啊", "我要弄{x}，上哪儿办去", "{x}是去哪个地方排队办的"],
        "relayed": ["来电人问：{x}在哪里办？", "市民咨询{x}要去哪个地方办理", "一位女士来电，问{x}的办理地点"],
        "typo": ["{x}在哪里办理", "{x}去哪办啊", "{x}的办理地点"],
    },
    "dept": {
        "plain": ["{x}由哪个部门负责？", "{x}的实施主体是谁？", "{x}是哪个单位管的？"],
        "polite": ["您好，想请教一下{x}归哪个部门管，谢谢", "麻烦问一下{x}是哪家单位负责办理的？", "请问{x}的主管单位是哪个？多谢"],
        "partial": ["{x}谁负责", "{x}哪个部门管", "{x}归哪个单位"],
        "colloquial": ["{x}这事儿到底归谁管啊", "{x}是哪个衙门办的", "{x}该找哪家单位"],
        "relayed": ["来电人问：{x}是哪个部门负责的？", "市民想知道{x}归哪个单位管", "有个小伙子打电话问{x}是谁在管"],
        "typo": ["{x}由哪个部门负责", "{x}是哪个单位管的", "{x}归谁管"],
    },
    "time": {
        "plain": ["{x}的办结时限是多久？", "{x}多少个工作日能办好？", "{x}要办多长时间？"],
        "polite": ["您好，请问{x}一般多久能办下来？谢谢", "麻烦问问{x}大概需要几个工作日，感谢", "请教一下{x}的承诺时限是多少天？"],
        "partial": ["{x}多久办好", "{x}几天能下来", "{x}办理时限"],
        "colloquial": ["{x}交上去得等多少天啊", "{x}要等很久吗，大概几天", "弄{x}要耗多长时间"],
        "relayed": ["来电人问：{x}多久能办完？", "市民咨询{x}的办理时限", "有位阿姨来电问{x}要等几天"],
        "typo": ["{x}多久能办好", "{x}要几个工作日", "{x}办理时限多久"],
    },
    "fee": {
        "plain": ["{x}收费吗？", "{x}的收费标准是什么？", "{x}要交多少钱？"],
        "polite": ["您好，请问办{x}需要交费吗？谢谢", "麻烦问一下{x}收不收费用，多谢", "请问{x}要花多少钱呀？"],
        "partial": ["{x}要钱吗", "{x}多少钱", "{x}费用"],
        "colloquial": ["{x}得掏钱不", "办{x}要花钱吗，贵不贵", "{x}收不收钱啊"],
        "relayed": ["来电人问：{x}要收费吗？", "市民咨询{x}的费用标准", "一位先生来电问{x}要交多少钱"],
        "typo": ["{x}收费吗", "{x}要交多少钱", "{x}收费标准"],
    },
    "materials": {
        "plain": ["{x}需要准备哪些材料？", "{x}要提交什么材料？", "办理{x}需要带哪些证件？"],
        "polite": ["您好，请问{x}都要准备什么材料呢？谢谢", "麻烦您说一下{x}需要提供的材料，感谢", "请问申请{x}得带些什么？辛苦了"],
        "partial": ["{x}要什么材料", "{x}带啥证件", "{x}材料清单"],
        "colloquial": ["{x}得带些啥东西过去", "我去弄{x}，要拿哪些证明啊", "{x}都要交什么资料，别让我白跑"],
        "relayed": ["来电人问：{x}需要带什么材料？", "市民来电咨询{x}要准备的材料", "有位老人打电话问{x}要带哪些东西"],
        "typo": ["{x}需要什么材料", "{x}要带哪些材料", "{x}材料有哪些"],
    },
    "eligibility": {
        "plain": ["{x}需要满足什么条件？", "哪些人可以申请{x}？", "{x}的申请条件是什么？"],
        "polite": ["您好，请问什么样的人才能申请{x}呢？谢谢", "麻烦问一下{x}有什么要求，多谢", "请教一下符合哪些条件可以办{x}？"],
        "partial": ["{x}条件", "{x}谁能申请", "{x}有什么要求"],
        "colloquial": ["我这情况能不能办{x}啊，要够什么条件", "{x}是不是谁都能弄", "啥样的人才够格办{x}"],
        "relayed": ["来电人问：{x}需要什么条件？", "市民想了解{x}的申请条件", "一位女士来电问自己够不够条件办{x}"],
        "typo": ["{x}需要什么条件", "{x}申请条件", "哪些人能办{x}"],
    },
    "procedure": {
        "plain": ["{x}的办理流程是什么？", "{x}怎么办理？", "{x}有哪些步骤？"],
        "polite": ["您好，请问{x}具体该怎么办呢？谢谢", "麻烦介绍一下{x}的流程，感谢", "请问申请{x}要走哪些步骤？辛苦"],
        "partial": ["{x}流程", "{x}怎么申请", "{x}步骤"],
        "colloquial": ["{x}这事该咋整，一步步怎么弄", "我想弄{x}，从哪开始搞", "{x}手续咋走啊"],
        "relayed": ["来电人问：{x}怎么办理？", "市民咨询{x}的办理流程", "有位大姐来电问{x}该怎么办"],
        "typo": ["{x}怎么办理", "{x}办理流程", "{x}怎么申请"],
    },
    "online": {
        "plain": ["{x}可以网上办理吗？", "{x}支持线上申请吗？", "{x}有没有网上办理渠道？"],
        "polite": ["您好，请问{x}能不能在网上办呢？谢谢", "麻烦问一下{x}可以在线申请吗，多谢", "请问{x}有线上渠道吗？感谢"],
        "partial": ["{x}网上能办吗", "{x}线上办理", "{x}能在手机上申请吗"],
        "colloquial": ["{x}能不能不跑腿，在手机上弄", "{x}在网上点点就能办不", "{x}非得去现场吗，网上行不行"],
        "relayed": ["来电人问：{x}能在网上办吗？", "市民咨询{x}是否支持网上办理", "有个姑娘来电问{x}可不可以线上申请"],
        "typo": ["{x}可以网上办理吗", "{x}能在线办吗", "{x}网上办理"],
    },
}
ALIAS_BY_STYLE = {"plain": 0, "polite": 0, "partial": 1, "colloquial": 2, "relayed": 0, "typo": 3}

# Sections of a guide (by heading) and labels of a catalogue item that hold each kind of fact.
SECTION = {
    "phone": r"咨询电话", "location": r"办理地点|在哪里申报", "dept": r"实施主体|谁来负责",
    "time": r"^办理时限|^要多久|承诺办结时限", "fee": r"^收费标准|^费用",
    "materials": r"^办理材料|申请材料|要准备的东西", "procedure": r"^办理流程|检疫怎么做",
    "eligibility": r"^申请条件|^申领条件|^受理条件|^登记条件|^适用对象|^入学对象|^入园对象|^补贴对象|谁可以携带",
    "online": r"是否支持网上办理|能不能在网上办",
}

# Services and matters the bases do not hold: neighbours of real items, and things far from them.
ABSENT_TUNE = [
    "公租房", "护照", "机动车驾驶证换证", "结婚登记", "港澳通行证续签", "不动产权证书办理",
    "摩托车上牌", "外国人居留许可", "高考报名", "车辆年检", "独生子女父母奖励金", "殡葬补贴",
    "退役军人优待证", "电动汽车充电桩报装", "职称评审",
]
ABSENT_TEST = [
    "廉租房申请", "共有产权房", "社保卡补办", "离婚登记", "二手房过户", "出租车营运证",
    "新生儿取名", "游泳救生员证", "猫咪绝育补贴", "人才公寓申请", "宅基地审批", "渔船登记",
    "户外烧烤许可", "无人机飞行报备", "学位认证",
]
# Near neighbours: services the bases lack whose names share most of a title that is there ("公租房" beside
# "租房提取住房公积金", "户口迁出" beside "户口迁入"). Written before the question-side coverage check was tuned.
NEAR_TUNE = [
    "公租房申请", "残疾人证办理", "食品生产许可证", "养猫登记", "教师资格考试报名", "住房公积金异地转移",
    "企业注销", "托育机构备案", "燃气开户", "失业登记证明",
]
NEAR_TEST = [
    "死亡医学证明开具", "户口迁出", "宠物犬猫入境检疫", "高中入学报名", "个体工商户注销", "献血证补办",
    "医保卡补办", "公共场所控烟投诉", "建筑施工许可证", "居住证积分查询", "生育登记",
]
ABSENT_ASK = {
    "tune": ["{x}怎么申请？", "请问{x}需要什么材料？", "您好，{x}在哪里办理？", "{x}的咨询电话是多少？", "{x}多久能办好"],
    "test": ["我想问一下{x}怎么办", "来电人问：{x}要带哪些东西？", "{x}得去哪儿弄啊", "麻烦问下{x}收不收钱",
             "{x}归哪个部门管啊"],
}
OFF_TOPIC = {
    "tune": ["今天天气怎么样？", "给我讲个笑话吧", "帮我写一首关于秋天的诗", "股票明天会涨吗？", "推荐一部好看的电影",
             "红烧肉怎么做好吃？", "世界杯上一届谁夺冠了？", "1加1等于几？"],
    "test": ["周末去哪儿玩比较好", "你喜欢吃什么水果", "怎么才能减肥成功啊", "帮我翻译一下hello world",
             "最近有什么好听的歌", "猫为什么喜欢抓沙发", "火星上有水吗", "明天早上几点日出"],
}

# A third split, written before the question-side coverage work was tuned and not looked at while tuning:
# wordings of its own (openings, relayed callers, politeness around a typo), and near neighbours and far
# items of its own. Built with its own random generator so the tune and test rows stay as they were.
FRESH_ASK: dict[str, list[str]] = {
    "phone": ["喂你好，我想咨询下{x}，电话是多少啊", "帮来电群众问一下：{x}的咨询电话", "你好，{x}有没有个电话能问问，谢谢您"],
    "location": ["你好你好，问一下{x}是在哪儿办的呀", "群众来电，想了解{x}去哪里办", "那个{x}要去哪边办啊，麻烦说下"],
    "dept": ["我想了解下{x}是哪个部门在管", "帮来电人查一下：{x}的负责单位", "请问下{x}找哪个单位，谢谢您"],
    "time": ["喂，{x}办下来要多久啊", "来电群众问{x}几天能办好", "想问问{x}大概多长时间能好，谢谢"],
    "fee": ["你好，{x}要不要交钱的", "来电群众想知道{x}收费不", "请问下{x}要花钱不，谢谢啦"],
    "materials": ["喂你好，{x}要准备啥材料啊", "帮来电人问一下：{x}得带什么", "请问下{x}要交哪些材料，谢谢您"],
    "eligibility": ["我想问问{x}有啥条件没有", "来电群众问自己能不能办{x}", "请问下{x}对申请人有什么要求，谢谢"],
    "procedure": ["你好，{x}具体咋办啊", "帮来电人问下{x}的办理步骤", "想问一下{x}的流程，麻烦您了"],
    "online": ["喂，{x}能在网上弄吗", "来电群众问{x}有没有线上渠道", "请问下{x}手机上能办不，谢谢"],
}
FRESH_STYLES = {"opening": (0, 1), "relayed2": (1, 0), "polite_typo": (2, 3)}  # style: (template index, alias)
FRESH_NEAR = [
    "药品经营许可证", "企业迁址", "职业技能培训补贴", "职业病诊断", "育儿补贴申领", "公积金缴存基数调整",
    "住房公积金补缴", "户籍证明开具", "房产税缴纳", "特困人员救助供养", "医保关系转移", "残疾人机动轮椅车燃油补贴",
    "小区充电桩安装", "幼儿园转园", "小学转学", "商事仲裁", "新能源汽车上牌", "流浪猫救助", "独生子女证补办",
    "学历证明开具", "临时占道施工许可", "医疗机构执业许可证", "普通话水平测试报名", "提前退休审批", "个人所得税汇算",
]
FRESH_FAR = ["出国留学公证", "古树名木认养", "船员证考试", "彩票中奖领取", "网约车驾驶员证", "狩猎证申请"]
FRESH_ABSENT_ASK = ["喂，你好，我想咨询一下{x}的事", "帮来电群众问一下：{x}去哪办理", "{x}的话需要准备啥",
                    "请问下{x}找哪个部门，谢谢您", "那个{x}能在网上弄吗"]
FRESH_OFF_TOPIC = ["今晚吃什么好呢", "帮我算一下三十七乘以八", "你是机器人吗", "讲讲三国演义的故事"]


def _question(template: str, name: str, doc_id: str, kind: str, style: str, split: str, n: int,
              expect: dict[tuple[str, str], list[str]]) -> dict:
    """One service question row."""
    return {"question": template.format(x=name), "doc_id": doc_id, "kind": kind, "style": style, "split": split,
            "expect": {"any_of": expect[(doc_id, kind)]}, "template": f"{kind}/{style}/{n}"}


def _picks(rng: random.Random, docs: list[str]) -> list[str]:
    """The items one template is asked about: three, or two where a kind has few items."""
    return rng.sample(docs, min(len(docs), 3 if len(docs) > 12 else 2))


def fresh_rows(expect: dict[tuple[str, str], list[str]]) -> tuple[list[dict], list[dict]]:
    """The `fresh` split's service questions and refusal cases."""
    rng = random.Random(88)
    rows = []
    for kind, templates in FRESH_ASK.items():
        docs = [d for d in ITEMS if (d, kind) in expect]
        for style, (n, alias) in FRESH_STYLES.items():
            for doc_id in rng.sample(docs, min(len(docs), 4)):
                rows.append(_question(templates[n], ITEMS[doc_id][alias], doc_id, kind, style, "fresh", n, expect))
    absent = []
    for style, names in (("near", FRESH_NEAR), ("absent", FRESH_FAR)):
        for name in names:
            for template in rng.sample(FRESH_ABSENT_ASK, 2):
                absent.append({"question": template.format(x=name), "split": "fresh", "style": style, "item": name})
    absent += [{"question": t, "split": "fresh", "style": "off_topic", "item": None} for t in FRESH_OFF_TOPIC]
    return rows, absent


# Tune-only everyday wordings (2026-12-04), written before the learnt grounding was fitted: a second
# everyday name per item (the test split's colloquial style uses the third field of ITEMS), colloquial
# templates of their own, and absent items in everyday words asked the same way. Own generator, so the
# rows above stay as they were.
EVERYDAY_TUNE: dict[str, str] = {
    "residence-permit": "暂住证", "id-card": "换身份证", "food-business-license": "卖吃的要办的经营许可",
    "individual-business-license": "开个体小卖部的营业执照", "enterprise-establishment": "注册新公司",
    "unemployment-benefit": "丢了工作领的救济金", "work-injury-recognition": "干活时受伤认定工伤",
    "maternity-insurance-allowance": "休产假领的钱", "housing-fund-withdrawal-rent": "用公积金付房租",
    "housing-fund-withdrawal-purchase": "买房后取公积金", "housing-fund-loan": "公积金买房贷款",
    "housing-fund-withdrawal-retirement": "退休后公积金销户", "hukou-transfer": "户口从老家迁进来",
    "points-based-hukou": "按积分落户口", "minimum-living-allowance": "家里困难领低保",
    "medical-insurance-out-of-town-filing": "在外地看病报医保的备案", "chronic-special-disease-outpatient": "慢性病门诊待遇",
    "disability-two-subsidies": "残疾人补贴", "elderly-allowance-subsidy": "老人岁数大了领的补贴",
    "kindergarten-enrollment": "小孩上幼儿园", "primary-school-enrollment": "娃上一年级报名",
    "labor-dispute-arbitration": "和公司闹劳动纠纷申请仲裁", "wage-arrears-complaint": "公司欠工资投诉",
    "pension-insurance-transfer": "养老保险从外地转过来", "e-bike-registration-charging": "电瓶车上牌",
    "pension-employee-benefit-claim": "退休了领退休金", "resident-medical-insurance": "居民医疗保险交费",
    "fx-dog-registration": "办狗证", "fx-pet-export": "宠物带出国检疫", "fx-birth-certificate-reissue": "孩子的出生证明丢了补一个",
    "fx-senior-card": "老年优待卡", "fx-no-criminal-record": "证明自己没犯过罪的证明",
    "fx-outdoor-advertising": "在外面立广告牌的审批", "fx-public-place-hygiene": "开宾馆要的卫生许可",
    "fx-construction-waste": "工地渣土处理审批", "fx-blood-donor-reimbursement": "献血后用血报销",
    "fx-teacher-qualification": "认定教师资格证",
}
EVERYDAY_ASK: dict[str, list[str]] = {
    "phone": ["{x}我想打个电话问问，有号码吗", "{x}的事儿打哪个电话", "问{x}该拨什么号"],
    "location": ["{x}要跑去哪里办", "{x}在啥地方办", "办{x}得去哪儿"],
    "dept": ["{x}谁管啊", "{x}归哪儿管", "{x}找哪个单位管"],
    "time": ["{x}得等几天", "{x}多长时间办下来", "{x}要办多久才行"],
    "fee": ["{x}花钱不", "{x}要钱不要", "{x}得交多少钱啊"],
    "materials": ["{x}要拿啥东西", "{x}准备啥资料", "{x}带哪些证"],
    "eligibility": ["{x}啥人能办", "{x}我够条件不", "{x}要啥条件"],
    "procedure": ["{x}咋办", "{x}怎么弄", "{x}具体咋操作"],
    "online": ["{x}手机能办不", "{x}能网上弄吗", "{x}不出门能办吗"],
}
ABSENT_EVERYDAY_TUNE = [
    "公家便宜租的房子", "出国用的护照", "换驾照", "领结婚证", "港澳通行证续", "房产证", "摩托车上牌照",
    "外国人长住的居留证", "考大学报名", "汽车年审", "独生子女奖励", "丧葬补助", "退伍军人的优待证",
    "装电动车充电桩", "评职称", "养猫的登记", "公司注销", "托儿所备案", "燃气开户", "失业证明",
]


def everyday_tune_rows(expect: dict[tuple[str, str], list[str]]) -> tuple[list[dict], list[dict]]:
    """The tune split's everyday-name questions and everyday absent items."""
    rng = random.Random(404)
    rows = []
    for kind, templates in EVERYDAY_ASK.items():
        docs = [d for d in ITEMS if (d, kind) in expect]
        for n, template in enumerate(templates):
            for doc_id in _picks(rng, docs):
                rows.append(_question(template, EVERYDAY_TUNE[doc_id], doc_id, kind, "everyday", "tune", n, expect))
    absent = []
    templates = [t for ts in EVERYDAY_ASK.values() for t in ts]
    for name in ABSENT_EVERYDAY_TUNE:
        for template in rng.sample(templates, 2):
            absent.append({"question": template.format(x=name), "split": "tune", "style": "everyday_absent", "item": name})
    return rows, absent


COMMON_CHAR_FREQ = 1000  # jieba dictionary count: about the 2,000 most frequent single characters


def homophone_typo(name: str, rng: random.Random) -> str:
    """`name` with one Han character swapped for another of the same sound (as a pinyin keyboard slips),
    drawn from jieba's common characters; the tune split's typos, made by rule instead of written by hand."""
    from pypinyin import lazy_pinyin

    by_sound = _common_chars_by_sound()
    positions = [i for i, c in enumerate(name) if len(by_sound.get(lazy_pinyin(c)[0], [])) > 1]
    i = rng.choice(positions)
    others = sorted(set(by_sound[lazy_pinyin(name[i])[0]]) - {name[i]})
    return name[:i] + rng.choice(others) + name[i + 1 :]


@lru_cache(maxsize=1)
def _common_chars_by_sound() -> dict[str, list[str]]:
    """jieba's common single characters by pinyin (a keyboard offers the frequent sound-alikes first)."""
    import jieba
    from pypinyin import lazy_pinyin

    jieba.initialize()
    by_sound: dict[str, list[str]] = {}
    for word, count in jieba.dt.FREQ.items():
        if len(word) == 1 and "\u4e00" <= word <= "\u9fff" and count >= COMMON_CHAR_FREQ:
            by_sound.setdefault(lazy_pinyin(word)[0], []).append(word)
    return by_sound


def typo_tune_rows(expect: dict[tuple[str, str], list[str]]) -> list[dict]:
    """The tune split's typo questions: each item's full name with one sound-alike, asked as plainly as the
    tune split's plain style (the test split's typo style has hand-written typos and templates of its own)."""
    rng = random.Random(505)
    rows = []
    for kind, styles in ASK.items():
        docs = [d for d in ITEMS if (d, kind) in expect]
        for n, template in enumerate(styles["plain"]):
            for doc_id in _picks(rng, docs):
                name = homophone_typo(ITEMS[doc_id][0], rng)
                rows.append(_question(template, name, doc_id, kind, "typo_tune", "tune", n, expect))
    return rows


# Citizens' stories, each about one item of the sample base (for retrieval calibration and reporting).
STORIES = [
    ("我在本市打工三年了一直没办过什么证，孩子要上学学校让先办个证明居住的证件，我该去办什么", "residence-permit", "tune"),
    ("钱包被偷了，里面的身份证也没了，下周还要坐高铁，急死了", "id-card", "tune"),
    ("我们小区门口新开了一家卤肉店，想问问自己也开个熟食店要办什么许可", "food-business-license", "tune"),
    ("公司上个月把我裁了，说是经营困难，我交了五年的保险，现在没收入能领点钱吗", "unemployment-benefit", "tune"),
    ("我在工地上干活从脚手架摔下来腿骨折了，老板说不算工伤，我该怎么办", "work-injury-recognition", "tune"),
    ("我老婆刚生完孩子在家休产假，单位说产假期间的钱要去社保那边申请", "maternity-insurance-allowance", "tune"),
    ("我在外面租房子住每个月房租三千，听说公积金能拿出来付房租", "housing-fund-withdrawal-rent", "tune"),
    ("我和老公结婚后想把我的户口从老家迁到他这边来", "hukou-transfer", "tune"),
    ("家里就我和我妈两个人，我妈身体不好我又没工作，生活很困难，政府能不能补助一点", "minimum-living-allowance", "tune"),
    ("我爸退休后去南方我姐家住了，在那边看病医保怎么报销", "medical-insurance-out-of-town-filing", "tune"),
    ("老板已经三个月没发工资了，二十多个工人都没拿到钱", "wage-arrears-complaint", "tune"),
    ("我新买了一辆电动车，听说不上牌不能上路", "e-bike-registration-charging", "tune"),
    ("楼上那家天天半夜一两点还在唱歌跳舞，吵得我们全家睡不着觉", "noise-pollution-regulation", "tune"),
    ("家里暖气片摸着一点都不热，屋里只有十四五度，孩子都冻感冒了", "winter-heating", "tune"),
    ("我们这片从早上就没水了，也没看到通知，做饭都没法做", "water-outage-repair", "tune"),
    ("厨房里闻到一股煤气味，不知道是不是哪里漏了", "gas-safety-repair", "tune"),
    ("小区里有人在楼顶私自盖了一间房子，物业说管不了", "illegal-construction-report", "tune"),
    ("我在网上买的衣服质量很差，商家不给退货，客服也不理人", "consumer-complaint-12315", "tune"),
    ("孩子今年三岁了，想让他九月份去附近的公办幼儿园", "kindergarten-enrollment", "tune"),
    ("我爷爷今年八十五了，听说这么大岁数每个月有补助可以领", "elderly-allowance-subsidy", "tune"),
    ("物业公司一直不修电梯，还涨物业费，业主们都很不满", "property-management-regulation", "tune"),
    ("小区门口马路上天天有人摆摊卖菜，把人行道都占满了", "street-vending-urban-management", "tune"),
    ("单位让我签一份合同，说试用期半年，我觉得太长了不知道合不合法", "labor-contract", "test"),
    ("我刚办完退休手续，想问问每个月的退休金什么时候能开始拿", "pension-employee-benefit-claim", "test"),
    ("我以前在外省上班交了几年社保，现在回老家这边工作了，之前交的怎么办", "pension-insurance-transfer", "test"),
    ("我在这边交社保七年了想把户口落在这里，听说是按分数排的", "points-based-hukou", "test"),
    ("我妈有糖尿病每个月都要去医院开药，花钱不少，门诊能多报一点吗", "chronic-special-disease-outpatient", "test"),
    ("我弟弟是重度残疾，一直是家里人照顾，有没有什么补贴", "disability-two-subsidies", "test"),
    ("我打算和朋友一起开个设计公司，营业执照和刻章都得办", "enterprise-establishment", "test"),
    ("我想在菜市场租个摊位卖水果，是不是得先办个执照", "individual-business-license", "test"),
    ("孩子明年小学毕业了，不知道初中怎么分配学校", "junior-middle-school-enrollment", "test"),
    ("孩子今年满六岁，户口在这边，秋天该上一年级了", "primary-school-enrollment", "test"),
    ("我被公司违法辞退，找老板谈也没用，想走法律程序讨个说法", "labor-dispute-arbitration", "test"),
    ("看中了一套二手房，想用公积金贷点款，不知道能贷多少", "housing-fund-loan", "test"),
    ("刚刚付了首付买了套房子，手里的公积金能取出来还贷吗", "housing-fund-withdrawal-purchase", "test"),
    ("我已经退休了，公积金账户里还有几万块钱，怎么全部拿出来", "housing-fund-withdrawal-retirement", "test"),
    ("小区里车位太少，晚上回来经常没地方停车，只能停在路边", "residential-parking", "test"),
    ("我家老人腿脚不便一个人在家，想请人上门帮忙做饭打扫", "home-based-elderly-care", "test"),
    ("我是自由职业没有单位，想自己交医疗保险", "resident-medical-insurance", "test"),
    ("马路边的停车位收费员乱收费，一个小时收二十块", "parking-management-regulation", "test"),
    ("楼下垃圾桶每次都是混着扔的，厨余垃圾和其他垃圾也不分", "waste-sorting-regulation", "test"),
    ("我是农村户口没有单位，想交养老保险以后能领钱", "resident-pension-insurance", "test"),
    ("以前在公司干了十年，单位一直没给我交养老保险，现在想自己补上", "pension-employee-contribution", "test"),
    ("打12345都是谁在接听，晚上打也有人接吗", "hotline-12345-intro", "test"),
]

_PHONE = re.compile(r"(?<!\d)(0\d{2,3}-?\d{7,8}|1[3-9]\d{9}|\d{5,6})(?!\d)")
_AMOUNT = re.compile(r"\d+(?:\.\d+)?(?:个工作日|个月|工作日|日|天|元)")


def _sections(path: Path) -> dict[str, str]:
    """Heading (or catalogue label) → its text."""
    out: dict[str, str] = {}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## ") or line.startswith("### "):
            current = line.lstrip("#").strip()
            out[current] = ""
        elif m := re.match(r"^- ([^：]{2,12})：(.+)$", line):
            out.setdefault(m.group(1), m.group(2))
            if current:
                out[current] += line + "\n"
        elif current:
            out[current] += line + "\n"
    return out


def _snippets(kind: str, text: str) -> list[str]:
    if kind == "phone":
        return sorted(set(_PHONE.findall(text)) - {"12345"}) or ["12345"]
    if kind == "time":
        # The fixture base writes "10(工作日)"; an answer states it as "10个工作日".
        text = re.sub(r"(\d+)\s*[（(]工作日[)）]", r"\1个工作日", text)
        return sorted(set(_AMOUNT.findall(text))) or ["当场办结"]
    if kind == "fee":
        found = sorted(set(re.findall(r"\d+(?:\.\d+)?元", text)))
        free = [w for w in ("不收费", "免费", "免收") if w in text]
        return found + free
    if kind == "online":
        return [w for w in ("支持", "不支持", "可以", "在线", "网上") if w in text][:3]
    lines = [re.sub(r"^\s*(?:[-*]|\d+[.、])\s*", "", line) for line in text.splitlines()]
    lines = [re.sub(r"^[^：]{2,10}：", "", line).strip("；。 ") for line in lines if line.strip()]
    parts = [p for line in lines for p in re.split(r"[；;。]", line) if len(p.strip()) >= 4]
    return [p.strip()[:10] for p in parts][:12]


def expectations() -> dict[tuple[str, str], list[str]]:
    """(doc_id, kind) → snippets, one of which a correct answer contains."""
    out: dict[tuple[str, str], list[str]] = {}
    for doc_id in ITEMS:
        path = (FIXTURE if doc_id.startswith("fx-") else SAMPLES) / f"{doc_id}.md"
        sections = _sections(path)
        for kind, pattern in SECTION.items():
            for heading, text in sections.items():
                if re.search(pattern, heading) and text.strip():
                    snippets = _snippets(kind, text)
                    if snippets:
                        out[(doc_id, kind)] = snippets
                    break
    return out


def build() -> None:
    rng = random.Random(8)
    expect = expectations()
    rows = []
    for kind, styles in ASK.items():
        docs = [d for d in ITEMS if (d, kind) in expect]
        for style, templates in styles.items():
            for n, template in enumerate(templates):
                split = "tune" if style in TUNE_STYLES else "test"
                for doc_id in _picks(rng, docs):
                    rows.append(_question(template, ITEMS[doc_id][ALIAS_BY_STYLE[style]], doc_id, kind, style, split,
                                          n, expect))
    absent = []
    for split, names in (("tune", ABSENT_TUNE), ("test", ABSENT_TEST)):
        for name in names:
            for template in rng.sample(ABSENT_ASK[split], 2):
                absent.append({"question": template.format(x=name), "split": split, "style": "absent", "item": name})
        for name in NEAR_TUNE if split == "tune" else NEAR_TEST:
            for template in rng.sample(ABSENT_ASK[split], 2):
                absent.append({"question": template.format(x=name), "split": split, "style": "near", "item": name})
        for text in OFF_TOPIC[split]:
            absent.append({"question": text, "split": split, "style": "off_topic", "item": None})
    more_rows, more_absent = fresh_rows(expect)
    rows += more_rows
    absent += more_absent
    everyday_rows, everyday_absent = everyday_tune_rows(expect)
    rows += everyday_rows
    absent += everyday_absent
    rows += typo_tune_rows(expect)
    stories = [{"question": q, "doc_id": d, "split": s, "style": "story"} for q, d, s in STORIES]
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in (("services", rows), ("absent", absent), ("stories", stories)):
        with (OUT / f"{name}.jsonl").open("w", encoding="utf-8") as fh:
            for row in data:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} service questions, {len(absent)} absent/off-topic, {len(stories)} stories")


if __name__ == "__main__":
    build()
