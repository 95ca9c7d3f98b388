{#-
    The raw layer as the engine sees it, before any model runs (on-run-start).

    DuckDB: the raw and ops tables live in the warehouse file itself; nothing to do.
    Spark: every dbt source (schema.identifier) is a Parquet directory under env var TRADEFLOW_RAW_ROOT,
    <root>/<schema>/<identifier>/, registered as an external table (dropping it later drops no file).
    Without TRADEFLOW_RAW_ROOT the tables must already be in the metastore.
-#}
{% macro register_raw_layer() -%}
    {{ return(adapter.dispatch('register_raw_layer', 'tradeflow')()) }}
{%- endmacro %}

{% macro default__register_raw_layer() -%}
    select 1
{%- endmacro %}

{% macro spark__register_raw_layer() -%}
    {%- set root = env_var('TRADEFLOW_RAW_ROOT', '') -%}
    {%- if execute and root -%}
        {%- set seen = [] -%}
        {%- for schema in graph.sources.values() | map(attribute='schema') | unique -%}
            {%- do run_query('create database if not exists ' ~ schema) -%}
        {%- endfor -%}
        {%- for node in graph.sources.values() -%}
            {%- set name = node.schema ~ '.' ~ node.identifier -%}
            {%- if name not in seen -%}
                {%- do seen.append(name) -%}
                {%- set location = root.rstrip('/') ~ '/' ~ node.schema ~ '/' ~ node.identifier -%}
                {%- do run_query('drop table if exists ' ~ name) -%}
                {%- do run_query("create table " ~ name ~ " using parquet location '" ~ location ~ "'") -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
