"""Label tables, message templates (English and Chinese) and severities of the validators.

Kept apart from ``validators.py`` so the checks read as arithmetic, not as text.
"""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP

from extractor.checks.rules import RoundingMode
from schemas.catalogue import DECL_FUND_ZH, FUND_COLUMN_ZH, FUND_ROW_ZH
from schemas.fields import FUND_AMOUNT_COLUMNS
from schemas.findings import Severity

# Chinese names of the funds rows and columns: from the label catalogue.
ROW_ZH = FUND_ROW_ZH
COL_ZH = FUND_COLUMN_ZH
AMOUNT_COLS = FUND_AMOUNT_COLUMNS
TD_ZH = DECL_FUND_ZH
MONEY_UNITS = {"万元": "万元", "万": "万元", "元": "元"}
ROUNDING = {
    RoundingMode.HALF_UP: ROUND_HALF_UP,
    RoundingMode.HALF_EVEN: ROUND_HALF_EVEN,
    RoundingMode.TRUNCATE: ROUND_DOWN,
}
NUMBERED = re.compile(r"^指标(\d+)[:：]")
DATE = re.compile(r"^(19|20)\d{2}(年|[./-](0?[1-9]|1[0-2])(\D|$)|$)")
BUDGET_WORDS = ("预算", "执行", "资金", "支付", "结余", "经费", "结转")

# Message templates by key; the finding code is the key up to ":". Same keys in both.
EN: dict[str, str] = {
    "R1": "{row}: execution rate printed {printed} but 全年执行数 {ex} ÷ 全年预算数 {full} × 100 = {computed}{hint}",
    "R1:share": "{row}: execution rate printed {printed} but 全年执行数 is printed as {ex} of the budget{hint}",
    "R1:zero": "{row}: 全年执行数 {ex} on a zero 全年预算数 {full}; the execution rate (printed {printed}) cannot be computed",
    "R2": "budget score printed {printed} but 分值 {weight} × min({rate}%, {cap}%) ÷ 100 = {computed}{hint}",
    "R4": "{field}: printed {printed} but {terms} = {computed}",
    "R4:blank": "{field}: printed {printed} but {terms} = {computed} with blank sub-rows; not checkable",
    "R5": "weights add up to {computed} (indicators {ind} + budget {weight}{src}), expected {want}",
    "R5:printed": "总分 分值 printed {printed} but indicators {ind} + budget {weight} = {computed}",
    "R6": "总分 printed {printed} but indicator scores {ind} + budget score {budget} = {computed}{hint}",
    "R7": "评分等级 printed {printed} but 总分 {total} falls in band {expected}",
    "R8": "indicator {i} ({name}): score {printed} exceeds its weight {weight}",
    "R9:percent": "{field}: an amount column prints a percentage ({printed}); expected an amount in {unit}",
    "R9:unit": "{field}: amount {printed} carries the unit {own} but the header says {unit}",
    "R9:ratio": "{row}: 全年执行数 {ex} ÷ 全年预算数 {full} = {ratio}: {suspect} (≈{scaled} 万元)",
    "R10:met": "{head}: target met but score below the full 分值",
    "R10:full": "{head}: target not met but full score (about {expected} expected)",
    "R10:ratio": "{head}: expected about 完成值 ÷ 指标值 × 分值 = {expected}",
    "R10:band": "{head}: '{level}' should score {low}–{high}% of the 分值",
    "R11": "first-level weights are {printed}; in principle {expected}",
    "R12": "execution rate {rate}% is below {threshold}% and no 偏差原因 explains it",
    "MISSING_GRADE": "no 评分等级 printed (总分 {total}; expected {expected})",
    "MISSING_TOTAL": "no 总分 printed; indicator scores + budget score = {computed}",
    "MISSING_VALUE": "{field}: no value printed ({label})",
    "MISSING_UNIT": "the money unit of the funds header is missing or unreadable (printed {printed!r})",
    "NON_NUMERIC": "{field}: {label} {printed!r} is not a number; checks that need it are skipped",
    "UNKNOWN_GRADE": "评分等级 {printed!r} is none of {bands}",
    "BUDGET_WEIGHT": "budget execution 分值 printed {printed}; rule set {rule_set} expects {expected}",
    "EXECUTED_OVER_BUDGET": "{row}: 全年执行数 {ex} exceeds 全年预算数 {full} (rate {rate}%)",
    "FUNDS_PART_EXCEEDS_TOTAL": "其中：财政资金 {printed} exceeds the 项目资金总额 {total} it is part of",
    "ANNUAL_EXCEEDS_TOTAL": "年度资金申请总额 {printed} exceeds 项目资金总额 {total}",
    "LEVEL_MISMATCH": "indicator {i} ({name}): 二级指标 {l2} belongs under {expected} but is printed under {printed}",
    "DUPLICATE_INDICATOR_NUMBER": "{group}: 指标{n} is numbered twice (indicators {idx})",
    "INDICATOR_NUMBER_GAP": "{group}: indicators numbered {printed} with no 指标{n}",
    "UNCHECKED": "a check could not be computed ({err})",
    "DOUBLED_UNIT": "indicator {i} ({name}): {printed!r} repeats the date unit {unit} (a typing slip?)",
    "OFF_TAXONOMY": "indicator {i} ({name}) is filed under {printed} but measures no satisfaction",
    "TRUNCATED": "{field}: printed {printed} is {computed} truncated; rounding gives {expected} (Shanghai municipal forms truncate, most regions round: choose the region's rule set)",
}
ZH: dict[str, str] = {
    "R1": "{row}：执行率印为 {printed}，但 全年执行数 {ex} ÷ 全年预算数 {full} × 100 = {computed}{hint_zh}",
    "R1:share": "{row}：执行率印为 {printed}，但全年执行数印为预算的 {ex}{hint_zh}",
    "R1:zero": "{row}：全年预算数为 {full}，全年执行数却为 {ex}，执行率（印为 {printed}）无从计算",
    "R2": "预算执行率得分印为 {printed}，但 分值 {weight} × min({rate}%, {cap}%) ÷ 100 = {computed}{hint_zh}",
    "R4": "{label}：印为 {printed}，但各分项之和 {terms} = {computed}",
    "R4:blank": "{label}：印为 {printed}，各分项之和 {terms} = {computed}，但有分项空白，无法核对",
    "R5": "分值合计 {computed}（指标 {ind} + 预算执行率 {weight}），应为 {want}",
    "R5:printed": "总分行分值印为 {printed}，但 指标 {ind} + 预算执行率 {weight} = {computed}",
    "R6": "总分印为 {printed}，但 指标得分 {ind} + 预算执行率得分 {budget} = {computed}{hint_zh}",
    "R7": "评分等级印为 {printed}，但总分 {total} 对应等级为 {expected}",
    "R8": "第{i}项指标（{name}）得分 {printed} 超过其分值 {weight}",
    "R9:percent": "{label}为金额栏，却印为百分比（{printed}），应为以{unit_zh}计的金额",
    "R9:unit": "{label} {printed} 自带单位{own}，而表头单位为{unit}",
    "R9:ratio": "{row}：全年执行数 {ex} ÷ 全年预算数 {full} = {ratio}，{suspect_zh}（约 {scaled} 万元）",
    "R10:met": "{head_zh}：指标已完成，得分却低于满分",
    "R10:full": "{head_zh}：指标未完成却得满分（应约为 {expected}）",
    "R10:ratio": "{head_zh}：应约为 完成值 ÷ 指标值 × 分值 = {expected}",
    "R10:band": "{head_zh}：按完成情况（{level}）应得分值的 {low}%–{high}%",
    "R11": "一级指标分值为 {printed}；原则上应为 {expected}",
    "R12": "执行率 {rate}% 低于 {threshold}%，但未说明偏差原因",
    "MISSING_GRADE": "未印评分等级（总分 {total}，应为 {expected}）",
    "MISSING_TOTAL": "未印总分；指标得分 + 预算执行率得分 = {computed}",
    "MISSING_VALUE": "{label}未填写",
    "MISSING_UNIT": "资金表头的金额单位缺失或无法识别（印为 {printed!r}）",
    "NON_NUMERIC": "{label}“{printed}”不是数字，相关校验跳过",
    "UNKNOWN_GRADE": "评分等级“{printed}”不在 {bands} 之列",
    "BUDGET_WEIGHT": "预算执行率分值印为 {printed}，规则集 {rule_set} 规定为 {expected}",
    "EXECUTED_OVER_BUDGET": "{row}：全年执行数 {ex} 超过全年预算数 {full}（执行率 {rate}%）",
    "FUNDS_PART_EXCEEDS_TOTAL": "其中：财政资金 {printed} 超过其所属的项目资金总额 {total}",
    "ANNUAL_EXCEEDS_TOTAL": "年度资金申请总额 {printed} 超过项目资金总额 {total}",
    "LEVEL_MISMATCH": "第{i}项指标（{name}）：二级指标“{l2}”应属“{expected}”，却列在“{printed}”下",
    "DUPLICATE_INDICATOR_NUMBER": "{group}：“指标{n}”编号重复（第 {idx} 项）",
    "INDICATOR_NUMBER_GAP": "{group}：指标编号为 {printed}，缺少“指标{n}”",
    "UNCHECKED": "某项校验无法计算（{err}）",
    "DOUBLED_UNIT": "第{i}项指标（{name}）：“{printed}”中“{unit}”重复（疑为笔误）",
    "OFF_TAXONOMY": "第{i}项指标（{name}）列在“{printed}”下，但衡量的并非满意度",
    "TRUNCATED": "{row}：印为 {printed}，是 {computed} 截尾所得；四舍五入应为 {expected}（上海市级表格截尾，多数地区四舍五入：请选用所在地区的规则集）",
}
SEVERITY = {
    **dict.fromkeys(("R1", "R2", "R4", "R5", "R6", "R7", "R8", "R9"), Severity.ERROR),
    "FUNDS_PART_EXCEEDS_TOTAL": Severity.ERROR,
    "R4:blank": Severity.INFO,
    "R11": Severity.INFO,
    "UNCHECKED": Severity.INFO,
}
