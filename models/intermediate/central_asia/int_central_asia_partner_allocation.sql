{#-
    One row per Central Asian country (seed country_groups, group central_asia), source dataset (the raw
    dataset, without a derived suffix such as ':world_sum'), direction, frequency and period_start: how
    much of the country's own world total (partner WLD) that dataset allocates to named partner countries
    (seed countries), how much it leaves unallocated ("Other countries", "Undefined country", regions,
    the EU without a member state: world - named), and whether the source marks the period preliminary.
      named_partners_total_value_usd   sum of value_usd over partners that are countries (not WLD, EU27)
      unallocated_value_usd            world_total_value_usd - named_partners_total_value_usd
      eu27_unallocated_value_usd       the part of the EU27 total the source gives to no member state
                                       (Kyrgyzstan's 'European Union (EU)' line), null where none
      is_preliminary                   the source marks the period's data preliminary (Kyrgyz NSC 2023)
-#}
with

flows as (
    select * from {{ ref('fct_trade_flows') }}
    where product_level = 'TOTAL' and flow in ('export', 'import') and value_usd is not null
),

countries as (
    select iso3 from {{ ref('countries') }}
),

central_asia as (
    select iso3 from {{ ref('country_groups') }}
    where group_code = 'central_asia'
),

kg_nsc as (
    select * from {{ ref('stg_national__kg_nsc_flows') }}
),

kg_nsc_marks as (
    select
        reporter_code as country_code,
        'national__kg_nsc' as dataset,
        case flow when 'export' then 'exports' else 'imports' end as direction,
        frequency,
        period_start,
        bool_or(is_preliminary) as is_preliminary,
        {{ exact_sum("case when is_eu27_unallocated then value_usd end") }} as eu27_unallocated_value_usd
    from kg_nsc
    where flow in ('export', 'import')
    group by reporter_code, flow, frequency, period_start
),

by_dataset as (
    select
        flows.reporter_code as country_code,
        split_part(flows.source_dataset, ':', 1) as dataset,
        case flows.flow when 'export' then 'exports' else 'imports' end as direction,
        flows.frequency,
        flows.period_start,
        {{ exact_sum("case when flows.partner_code = 'WLD' then flows.value_usd end") }} as world_total_value_usd,
        {{ exact_sum("case when countries.iso3 is not null then flows.value_usd end") }}
            as named_partners_total_value_usd
    from flows
    inner join central_asia
        on flows.reporter_code = central_asia.iso3
    left join countries
        on flows.partner_code = countries.iso3
    group by 1, 2, 3, 4, 5
),

final as (
    select
        by_dataset.country_code,
        by_dataset.dataset,
        by_dataset.direction,
        by_dataset.frequency,
        by_dataset.period_start,
        by_dataset.world_total_value_usd,
        by_dataset.named_partners_total_value_usd,
        by_dataset.world_total_value_usd - coalesce(by_dataset.named_partners_total_value_usd, 0)
            as unallocated_value_usd,
        kg_nsc_marks.eu27_unallocated_value_usd,
        coalesce(kg_nsc_marks.is_preliminary, false) as is_preliminary
    from by_dataset
    left join kg_nsc_marks
        on
            by_dataset.country_code = kg_nsc_marks.country_code
            and by_dataset.dataset = kg_nsc_marks.dataset
            and by_dataset.direction = kg_nsc_marks.direction
            and by_dataset.frequency = kg_nsc_marks.frequency
            and by_dataset.period_start = kg_nsc_marks.period_start
)

select * from final
