"""Versioned scoring rule sets for the validators (after ``shared/domain/RULES.md``).

A rule set holds every threshold, band and convention the validators apply, so that a region
or a year that scores differently is a new entry here, never an ``if`` in the validators.
Rule sets are plain data: pydantic models built in Python, no files read.

Identifiers are ``family/version`` (``cn-default/2023.1``). ``get_rule_set`` accepts either
the full id or the bare family (``cn-default``), which means that family's latest version.

Rounding (R3). A printed number is compared with the recomputed one at the number of
decimals the form prints. It is accepted when it equals the recomputed value rounded with one
of the set's ``rounding`` modes, or when it is within the set's absolute tolerance for that
many printed decimals (0.01 for 2 decimals, 0.05 for 1 decimal, per RULES.md R3).

- ``cn-default``: the region is unknown, so both conventions are accepted: truncation
  (Shanghai municipal forms) and rounding half up (everyone else).
- ``cn-shanghai-municipal``: truncation only (all checkable Shanghai seed tables truncate).
- ``cn-beijing-district``: rounding half up; the budget score is rounded to 1 decimal.
- ``cn-hubei``: rounding half up; the budget 分值 is 20, not 10.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from schemas.taxonomy import LEVEL2_PARENT


class RoundingMode(StrEnum):
    HALF_UP = "half_up"  # 99.445 → 99.45
    HALF_EVEN = "half_even"  # 99.445 → 99.44 (banker's rounding, as spreadsheets may do)
    TRUNCATE = "truncate"  # 99.447 → 99.44 (toward zero)


class GradeBand(BaseModel):
    """One 评分等级: scores ≥ ``min_score`` (and below the next band up) get ``grade``."""

    model_config = ConfigDict(frozen=True)

    grade: str
    min_score: Decimal
    aliases: tuple[str, ...] = ()

    def matches(self, label: str) -> bool:
        return label == self.grade or label in self.aliases


class Band(BaseModel):
    """A share of an indicator's 分值, ``low`` ≤ score/weight < ``high`` (``high`` inclusive at 1)."""

    model_config = ConfigDict(frozen=True)

    low: Decimal
    high: Decimal


NATIONAL_GRADE_BANDS: tuple[GradeBand, ...] = (
    GradeBand(grade="优", min_score=Decimal(90), aliases=("优秀",)),
    GradeBand(grade="良", min_score=Decimal(80), aliases=("良好",)),
    GradeBand(grade="中", min_score=Decimal(60), aliases=("中等", "合格", "一般")),
    GradeBand(grade="差", min_score=Decimal(0), aliases=("较差", "不合格")),
)


class RuleSet(BaseModel):
    """Everything the validators need to judge a form of one region and period."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str  # "family/version", e.g. "cn-default/2023.1"
    title: str
    region: str
    years: tuple[int, int] | None = None  # the form years the set was written for (inclusive)
    notes: str = ""

    # R2 / R5: the budget execution row's 分值, and what all 分值 add up to.
    budget_weight: Decimal = Decimal(10)
    total_weight: Decimal = Decimal(100)
    # R2: the execution rate (in %) above which the budget earns no more.
    budget_rate_cap: Decimal = Decimal(100)
    # R2 (Beijing districts): the budget score is rounded to this many decimals before printing.
    score_decimals: int | None = None

    # R3: rounding modes accepted and absolute tolerance by printed decimals.
    rounding: tuple[RoundingMode, ...] = (RoundingMode.HALF_UP,)
    tolerance: dict[int, Decimal] = Field(
        default_factory=lambda: {2: Decimal("0.01"), 1: Decimal("0.05")}
    )
    default_tolerance: Decimal = Decimal("0.01")

    # R7: grade bands, best first.
    grade_bands: tuple[GradeBand, ...] = NATIONAL_GRADE_BANDS

    # R9: executed ÷ full-year budget inside [min, max) means an amount in 元 under 万元.
    unit_ratio_min: Decimal = Decimal(1_000)
    unit_ratio_max: Decimal = Decimal(100_000)

    # R10: a quantitative target not met scores about 完成值 ÷ 指标值 × 分值; a score further
    # than this share of the 分值 from that is flagged. Qualitative targets by achievement.
    proportional_slack: Decimal = Decimal("0.2")
    achieved_band: Band = Band(low=Decimal("0.8"), high=Decimal(1))
    partial_band: Band = Band(low=Decimal("0.6"), high=Decimal("0.8"))
    not_achieved_band: Band = Band(low=Decimal(0), high=Decimal("0.6"))

    # R11: first-level weights "in principle" (info only).
    level1_weights: dict[str, Decimal] = Field(
        default_factory=lambda: {
            "产出指标": Decimal(50),
            "效益指标": Decimal(30),
            "满意度指标": Decimal(10),
        }
    )

    # R12: an execution rate (%) below this should carry a 偏差原因.
    deviation_rate_threshold: Decimal = Decimal(90)

    # Indicator taxonomy (level-2 label → its level-1 parent).
    level2_parent: dict[str, str] = Field(default_factory=lambda: dict(LEVEL2_PARENT))

    @property
    def family(self) -> str:
        return self.id.split("/", 1)[0]

    @property
    def version(self) -> str:
        return self.id.split("/", 1)[1] if "/" in self.id else ""

    def tolerance_for(self, decimals: int) -> Decimal:
        """Absolute slack accepted between a number printed with ``decimals`` and its value."""
        return self.tolerance.get(decimals, self.default_tolerance)

    def grade_for(self, score: Decimal) -> str:
        """The 评分等级 a total score earns."""
        for band in self.grade_bands:
            if score >= band.min_score:
                return band.grade
        return self.grade_bands[-1].grade

    def canonical_grade(self, label: str) -> str | None:
        """The band a printed 评分等级 names (``优秀`` → ``优``), None if unknown."""
        for band in self.grade_bands:
            if band.matches(label):
                return band.grade
        return None

    def describe_rounding(self) -> str:
        modes = " or ".join(m.value for m in self.rounding)
        tol = ", ".join(f"{v} at {k} decimals" for k, v in sorted(self.tolerance.items()))
        return f"{modes} to the printed decimals; tolerance {tol}, else {self.default_tolerance}"


CN_DEFAULT = RuleSet(
    id="cn-default/2023.1",
    title="National default (region unknown)",
    region="CN",
    years=(2020, 2025),
    notes=(
        "RULES.md as written: budget 分值 10, grade bands 优 ≥90 / 良 80–<90 / 中 60–<80 / "
        "差 <60. Accepts truncation and rounding half up, since the region is unknown."
    ),
    rounding=(RoundingMode.HALF_UP, RoundingMode.TRUNCATE),
)

CN_SHANGHAI_MUNICIPAL = RuleSet(
    id="cn-shanghai-municipal/2023.1",
    title="Shanghai municipal departments",
    region="CN-SH",
    years=(2020, 2025),
    notes="Shanghai municipal forms truncate rates and scores to 2 decimals.",
    rounding=(RoundingMode.TRUNCATE,),
)

CN_BEIJING_DISTRICT = RuleSet(
    id="cn-beijing-district/2023.1",
    title="Beijing district departments",
    region="CN-BJ",
    years=(2020, 2025),
    notes="Beijing district forms round the budget score to 1 decimal.",
    rounding=(RoundingMode.HALF_UP,),
    score_decimals=1,
)

CN_HUBEI = RuleSet(
    id="cn-hubei/2023.1",
    title="Hubei province",
    region="CN-HB",
    years=(2020, 2025),
    notes="Hubei gives the budget execution row 20 分, so indicators share 80.",
    budget_weight=Decimal(20),
    rounding=(RoundingMode.HALF_UP,),
)

RULE_SETS: dict[str, RuleSet] = {
    rs.id: rs for rs in (CN_DEFAULT, CN_SHANGHAI_MUNICIPAL, CN_BEIJING_DISTRICT, CN_HUBEI)
}

DEFAULT_RULE_SET: RuleSet = CN_DEFAULT


class UnknownRuleSetError(LookupError):
    """``get_rule_set`` was given a name that is neither a rule-set id nor a family."""


def _version_key(version: str) -> tuple[int, ...]:
    parts = []
    for p in version.split("."):
        parts.append(int(p) if p.isdigit() else -1)
    return tuple(parts)


def get_rule_set(name: str) -> RuleSet:
    """A rule set by id (``cn-default/2023.1``) or family (``cn-default``: latest version)."""
    key = name.strip()
    if key in RULE_SETS:
        return RULE_SETS[key]
    family = [rs for rs in RULE_SETS.values() if rs.family == key]
    if family:
        return max(family, key=lambda rs: _version_key(rs.version))
    available = ", ".join(sorted(RULE_SETS))
    families = ", ".join(sorted({rs.family for rs in RULE_SETS.values()}))
    raise UnknownRuleSetError(
        f"unknown rule set {name!r}; available: {available} (or a family name: {families})"
    )
