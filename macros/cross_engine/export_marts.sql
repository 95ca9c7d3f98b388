{#-
    `dbt run-operation export_marts --args '{path: /some/dir}'`: every mart (a table of schema marts) as
    Parquet under <path>/<table>/, one directory per mart, for readers that do not speak the engine's
    catalog (DuckDB, BI tools) and for the parity check (tradeflow/spark.py). The caller writes to a
    fresh directory and switches readers to it atomically.
-#}
{% macro export_marts(path) -%}
    {{ return(adapter.dispatch('export_marts', 'tradeflow')(path)) }}
{%- endmacro %}

{#- DuckDB: the refresh exports its marts itself when it publishes (tradeflow/refresh.py, export_parquet). -#}
{% macro default__export_marts(path) -%}
    {{ exceptions.raise_compiler_error("export_marts is for the spark target; on DuckDB the refresh exports the marts (tradeflow/refresh.py)") }}
{%- endmacro %}

{% macro spark__export_marts(path) -%}
    {%- for node in marts_nodes() -%}
        {%- do run_query("insert overwrite directory '" ~ path ~ "/" ~ node.alias ~ "' using parquet select * from " ~ node.schema ~ "." ~ node.alias) -%}
    {%- endfor -%}
{%- endmacro %}

{#- The models built as tables in schema marts. -#}
{% macro marts_nodes() -%}
    {%- set found = [] -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.schema == 'marts' and node.config.materialized in ('table', 'incremental') -%}
            {%- do found.append(node) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(found | sort(attribute='alias')) }}
{%- endmacro %}
