"""The field lists of ``shared/golden/FORMAT.md``, defined once for every layer.

Lists that one model of ``schemas.records`` defines field for field are read from that model
(so they cannot drift from it); the others are spelled here, in FORMAT.md order. Evals,
exports and the review screen import these instead of spelling the fields again.
"""

from __future__ import annotations

from schemas.records import (
    FundRow,
    SelfEvalFunds,
    SelfEvalIndicator,
    TargetDeclFunds,
    TargetIndicator,
)

SELF_EVALUATION = "self_evaluation"
TARGET_DECLARATION = "target_declaration"

# Header text fields both forms print (after ``form_type`` and ``year``).
HEADER_TEXT_FIELDS = (
    "project_name",
    "department",
    "implementing_unit",
    "money_unit",
    "project_leader",
    "contact_phone",
)
HEADER_FIELDS = ("form_type", "year", *HEADER_TEXT_FIELDS)
TARGET_HEADER_EXTRA = ("project_nature", "project_category", "plan_start", "plan_end")
SELF_GOAL_FIELDS = ("goal_expected", "goal_actual")
TARGET_GOAL_FIELDS = ("goal_overall", "goal_annual")
TOTALS_FIELDS = ("total_weight", "total_score", "grade")

# Self-evaluation funds: rows × columns; target declaration funds: flat keys.
FUND_ROWS = tuple(SelfEvalFunds.model_fields)
FUND_COLUMNS = tuple(FundRow.model_fields)
TARGET_FUND_KEYS = tuple(TargetDeclFunds.model_fields)
# The funds columns that hold amounts (the others are a rate, a weight and a score).
FUND_AMOUNT_COLUMNS = ("initial_budget", "full_year_budget", "executed")
# The rows a funds row is the sum of.
FUND_SUB_ROWS = {"total": ("current_year", "carryover", "other")}

SELF_INDICATOR_FIELDS = tuple(SelfEvalIndicator.model_fields)
TARGET_INDICATOR_FIELDS = tuple(TargetIndicator.model_fields)

# Model fields that are not FORMAT.md keys: read for the validators, kept in the
# provenance (the budget weight printed only inside a label, 预算执行情况(20分)).
NON_FORMAT_FIELDS = ("pages", "budget_points")

# The top-level keys of a record of each form type, in FORMAT.md (and ``to_golden``) order.
FORM_KEYS: dict[str, tuple[str, ...]] = {
    SELF_EVALUATION: (
        *HEADER_FIELDS,
        "funds",
        *SELF_GOAL_FIELDS,
        "indicators",
        *TOTALS_FIELDS,
    ),
    TARGET_DECLARATION: (
        *HEADER_FIELDS,
        *TARGET_HEADER_EXTRA,
        "funds",
        *TARGET_GOAL_FIELDS,
        "indicators",
    ),
}
