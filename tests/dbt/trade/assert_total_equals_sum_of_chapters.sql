-- Reconciliation: a reporter's TOTAL equals the sum of its HS2 chapters where a source reports both for
-- the same partner, flow and period, within var('chapter_sum_tolerance_pct') percent (default 1), when
-- the source gives every chapter (96 or more: HS has 97, 77 is reserved); where it gives only some (the
-- Comext workbook's chapter 27), their sum never exceeds the TOTAL.
-- On an incremental build only the periods it redid are compared (macros/incremental_scope.sql).
with

facts as (
    select * from {{ ref('fct_trade_flows') }}
    where {{ changed_periods_condition('period_start') }}
),

totals as (
    select * from facts
    where product_level = 'TOTAL'
),

chapters as (
    select
        reporter_code,
        partner_code,
        flow,
        frequency,
        source,
        period_start,
        sum(value_usd) as chapters_usd,
        count(distinct product_code) as chapters_reported
    from facts
    where product_level = 'HS2'
    group by all
),

compared as (
    select
        totals.reporter_code,
        totals.partner_code,
        totals.flow,
        totals.source,
        totals.period_start,
        totals.value_usd as total_usd,
        chapters.chapters_usd,
        chapters.chapters_reported,
        100 * (chapters.chapters_usd - totals.value_usd) / nullif(totals.value_usd, 0) as excess_pct,
        100 * abs(chapters.chapters_usd - totals.value_usd) / nullif(totals.value_usd, 0) as diff_pct
    from totals
    inner join chapters
        on
            totals.reporter_code = chapters.reporter_code
            and totals.partner_code = chapters.partner_code
            and totals.flow = chapters.flow
            and totals.frequency = chapters.frequency
            and totals.source = chapters.source
            and totals.period_start = chapters.period_start
)

select *
from compared
where
    (chapters_reported >= 96 and diff_pct > {{ var('chapter_sum_tolerance_pct', 1) }})
    or excess_pct > {{ var('chapter_sum_tolerance_pct', 1) }}
