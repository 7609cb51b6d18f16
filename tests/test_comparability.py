from dataclasses import replace
from datetime import date

from labor_lake.checks.comparability import Figure, input_flags, refusal_reasons

ML_TOTAL_COMP = Figure(
    figure_id="ml_total_comp",
    measure="median_total_comp",
    subject="ML engineers",
    unit="usd_per_year",
    period="2026",
    period_start=date(2026, 1, 1),
    period_end=date(2026, 12, 31),
    qualifier="exact",
    publisher="unattributed",
    conflict_group=None,
    value=261_875.0,
    low=None,
    high=None,
)
SWE_TOTAL_COMP = replace(ML_TOTAL_COMP, figure_id="swe_total_comp", subject="SWE", value=190_000.0)
SWE_BLS_WAGE = replace(
    SWE_TOTAL_COMP,
    figure_id="swe_bls_wage",
    measure="median_annual_wage",
    period="2024-05",
    period_start=date(2024, 5, 1),
    period_end=date(2024, 5, 31),
    publisher="BLS",
    value=133_080.0,
)


def test_like_for_like_premium_is_allowed() -> None:
    assert refusal_reasons("premium_pct", [ML_TOTAL_COMP, SWE_TOTAL_COMP]) == []


def test_total_comp_against_base_wage_is_refused_with_reasons() -> None:
    reasons = refusal_reasons("premium_pct", [ML_TOTAL_COMP, SWE_BLS_WAGE])
    assert any(
        "measure differs: median_total_comp" in r and "median_annual_wage" in r for r in reasons
    )
    assert any("period differs: 2026" in r for r in reasons)


def test_formula_refuses_units_it_does_not_apply_to() -> None:
    rate = replace(ML_TOTAL_COMP, unit="percent", measure="unemployment_rate", value=3.3)
    reasons = refusal_reasons("premium_pct", [rate, replace(rate, figure_id="other")])
    assert reasons == [
        "premium_pct does not apply to unit percent (ml_total_comp)",
        "premium_pct does not apply to unit percent (other)",
    ]


def test_growth_needs_same_subject_and_later_period() -> None:
    old = replace(
        ML_TOTAL_COMP,
        unit="count",
        measure="skill_taxonomy_size",
        value=120.0,
        period="2024",
        period_start=date(2024, 1, 1),
        period_end=date(2024, 12, 31),
    )
    new = replace(
        old,
        figure_id="new",
        value=301.0,
        period="2026",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
    )
    assert refusal_reasons("growth_pct", [new, old]) == []
    assert any("not after" in r for r in refusal_reasons("growth_pct", [old, new]))
    assert any(
        "subject differs" in r
        for r in refusal_reasons("growth_pct", [replace(new, subject="x"), old])
    )


def test_flags_name_hedged_and_unattributed_inputs() -> None:
    flags = input_flags([replace(ML_TOTAL_COMP, qualifier="at_least"), SWE_BLS_WAGE])
    assert flags == ["ml_total_comp is stated as at_least", "ml_total_comp has no named publisher"]
