{#-
    The mirror pairs of int_trade_flows_mirrored, from the rows of fct_trade_flows that meet
    `flows_filter` (SQL on its columns). Every pair lies within one period, so a filter on period_start
    gives exactly the full result's rows of those periods: fct_trade_flows_best uses it to redo the changed
    periods on an incremental build, int_central_asia_trade_reports on the whole-trade rows (TOTAL).
-#}
{% macro trade_flows_mirrored(flows_filter='true') %}
    with

    flows as (
        select * from {{ ref('fct_trade_flows') }}
        where {{ flows_filter }}
    ),

    ranked as (
        select
            flows.*,
            {{ source_rank('flows.source') }} as source_rank
        from flows
        where flows.flow in ('export', 'import')
    ),

    exports as (
        select
            reporter_code as exporter_code,
            partner_code as importer_code,
            product_code,
            product_level,
            frequency,
            period_start,
            source as export_source,
            source_dataset as export_source_dataset,
            value_usd as export_value_usd,
            value_eur as export_value_eur
        from ranked
        where flow = 'export'
        qualify row_number() over (
            partition by reporter_code, partner_code, product_code, product_level, frequency, period_start
            order by source_rank, source_dataset
        ) = 1
    ),

    imports as (
        select
            partner_code as exporter_code,
            reporter_code as importer_code,
            product_code,
            product_level,
            frequency,
            period_start,
            source as import_source,
            source_dataset as import_source_dataset,
            value_usd as import_value_usd,
            value_eur as import_value_eur
        from ranked
        where flow = 'import'
        qualify row_number() over (
            partition by reporter_code, partner_code, product_code, product_level, frequency, period_start
            order by source_rank, source_dataset
        ) = 1
    ),

    paired as (
        select
            coalesce(exports.exporter_code, imports.exporter_code) as exporter_code,
            coalesce(exports.importer_code, imports.importer_code) as importer_code,
            coalesce(exports.product_code, imports.product_code) as product_code,
            coalesce(exports.product_level, imports.product_level) as product_level,
            coalesce(exports.frequency, imports.frequency) as frequency,
            exports.export_source,
            imports.import_source,
            exports.export_source_dataset,
            imports.import_source_dataset,
            exports.export_value_usd,
            imports.import_value_usd,
            imports.import_value_usd / {{ var('cif_fob_factor') }} as import_value_fob_usd,
            exports.export_value_eur,
            imports.import_value_eur,
            imports.import_value_eur / {{ var('cif_fob_factor') }} as import_value_fob_eur,
            coalesce(exports.period_start, imports.period_start) as period_start
        from exports
        full outer join imports
            on
                exports.exporter_code = imports.exporter_code
                and exports.importer_code = imports.importer_code
                and exports.product_code = imports.product_code
                and exports.product_level = imports.product_level
                and exports.frequency = imports.frequency
                and exports.period_start = imports.period_start
    ),

    measured as (
        select
            exporter_code,
            importer_code,
            product_code,
            product_level,
            frequency,
            export_source,
            import_source,
            export_source_dataset,
            import_source_dataset,
            export_value_usd,
            import_value_usd,
            import_value_fob_usd,
            import_value_fob_usd - export_value_usd as gap_usd,
            100 * (import_value_fob_usd - export_value_usd) / nullif(export_value_usd, 0) as gap_pct,
            abs(import_value_fob_usd - export_value_usd)
            / nullif(import_value_fob_usd + export_value_usd, 0) as discrepancy_ratio,
            export_value_eur,
            import_value_eur,
            import_value_fob_eur,
            import_value_fob_eur - export_value_eur as gap_eur,
            export_value_usd is not null as has_export_report,
            import_value_usd is not null as has_import_report,
            -- fct_trade_flows holds imports by country of origin only (int_trade_flows_unioned)
            case when import_value_usd is not null then 'origin' end as import_basis,
            period_start
        from paired
    )

    select * from measured
{% endmacro %}
