{#-
    How an incremental model replaces the rows of the partitions (or periods) a build redoes, as config
    for the model: `{{ config(materialized='incremental', **replace_changed_rows(column, condition)) }}`.

    `condition` is a Jinja expression (a string) giving the SQL condition of the rows to replace; it is
    rendered when the build runs, not at parse time (it may read int_changed_partitions).
-#}
{% macro replace_changed_rows(column, condition) -%}
    {{ return(adapter.dispatch('replace_changed_rows', 'tradeflow')(column, condition)) }}
{%- endmacro %}

{#- DuckDB: delete the rows of the changed partitions in a pre-hook, then append the new ones. -#}
{% macro default__replace_changed_rows(column, condition) -%}
    {%- set hook = "{% if is_incremental() %}delete from {{ this }} where {{ " ~ condition ~ " }}{% endif %}" -%}
    {{ return({'incremental_strategy': 'append', 'pre_hook': hook}) }}
{%- endmacro %}

{#- Spark: Parquet tables take no DELETE (and merge needs Delta or Iceberg): the table is partitioned
    by `column` and the build overwrites the partitions its new rows fall in (dynamic partition
    overwrite). The new rows are the whole of each changed partition, so the result is the same. -#}
{% macro spark__replace_changed_rows(column, condition) -%}
    {{ return({'incremental_strategy': 'insert_overwrite', 'partition_by': [column], 'file_format': 'parquet'}) }}
{%- endmacro %}
