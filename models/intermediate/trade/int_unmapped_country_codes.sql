-- One row per source dataset and source code (or label) that did not map to a country or aggregate
-- code, with the rows and value left out of the facts because of it. Nothing is dropped silently: the
-- data test on this model reports every entry.
{% set branches = trade_staging_branches() %}

with

unioned as (
    {%- for branch in branches %}
        select
            '{{ branch.dataset }}' as source_dataset,
            case when reporter_code is null then 'reporter' else 'partner' end as role,
            case when reporter_code is null then reporter_code_source else partner_code_source end as code_source,
            {{ branch.label or 'cast(null as string)' }} as label,
            {{ 'value_usd' if branch.currency == 'USD' else 'cast(null as double)' }} as value_usd,
            {{ 'value_eur' if branch.currency == 'EUR' else 'cast(null as double)' }} as value_eur
        from {{ ref(branch.model) }}
        where
            (reporter_code is null or partner_code is null)
            {%- if branch.scope %}
                and {{ branch.scope }}
            {%- endif %}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

summarised as (
    select
        source_dataset,
        role,
        coalesce(code_source, '(empty)') as code_source,
        coalesce(min(label), '') as label,
        count(*) as rows_left_out,
        {{ exact_sum('value_usd') }} as value_usd_left_out,
        {{ exact_sum('value_eur') }} as value_eur_left_out
    from unioned
    group by source_dataset, role, coalesce(code_source, '(empty)')
)

select * from summarised
