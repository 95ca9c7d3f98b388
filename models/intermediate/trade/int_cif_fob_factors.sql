{#-
    One row per importer: a CIF/FOB factor estimated from the data beside the flat default.
      cif_fob_factor_estimated = median over the importer's mirror pairs of annual TOTAL rows in the
                                 baseline years (vars baseline_start_year..baseline_end_year) of
                                 import CIF (importer's report) / export FOB (exporter's report),
                                 both sides > 0; every exporter and year is one pair
    The pairs are those of every mirror in the warehouse (macros/trade_flows_mirrored.sql: imports by
    country of origin, sides ranked by var source_priority). The ratio carries freight and insurance
    and every other asymmetry of the two reports (attribution by origin versus destination, timing,
    thresholds): it is a measured ratio, not a freight estimate. Null, with a reason, without a pair.
-#}
with

pairs as (
    {{ trade_flows_mirrored("product_level = 'TOTAL' and frequency = 'A' and year(period_start) between "
        ~ var('baseline_start_year') ~ " and " ~ var('baseline_end_year')) }}
),

ratios as (
    select
        importer_code,
        exporter_code,
        year(period_start) as year,
        import_value_usd / export_value_usd as cif_fob_ratio
    from pairs
    where import_value_usd > 0 and export_value_usd > 0
),

importers as (
    select distinct importer_code from pairs
    where import_value_usd is not null
),

estimated as (
    select
        importer_code,
        percentile_cont(0.5) within group (order by cif_fob_ratio) as cif_fob_factor_estimated,
        count(*) as n_pairs,
        count(distinct exporter_code) as n_exporters,
        min(year) as first_year,
        max(year) as last_year
    from ratios
    group by importer_code
),

final as (
    select
        importers.importer_code,
        cast({{ var('cif_fob_factor') }} as double) as cif_fob_factor_flat,
        estimated.cif_fob_factor_estimated,
        coalesce(estimated.n_pairs, 0) as n_pairs,
        coalesce(estimated.n_exporters, 0) as n_exporters,
        estimated.first_year || '-' || estimated.last_year as baseline_years,
        case
            when estimated.importer_code is not null
                then
                    'median of ' || estimated.n_pairs || ' annual TOTAL mirror pairs ('
                    || estimated.n_exporters || ' exporters, ' || estimated.first_year || '-'
                    || estimated.last_year || '), imports by origin'
        end as cif_fob_factor_estimated_basis,
        case
            when estimated.importer_code is null
                then 'no annual TOTAL mirror pair with both sides > 0 in the baseline years'
        end as cif_fob_factor_estimated_null_reason
    from importers
    left join estimated
        on importers.importer_code = estimated.importer_code
)

select * from final
